package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.gateway.demo.Demo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The demo page in real headless Chromium, as a person would use it: the list shows the live
 * window, follows writes, grows as they scroll, and comes back by resuming after the socket drops.
 * Every check compares the page's DOM with the one-shot query API.
 */
class BrowserTest {
    private static final String DOM_IDS =
            "[...document.querySelectorAll('#rows tr')].map(tr => tr.children[1].textContent)";

    @Test
    void demoPageFollowsWritesGrowsOnScrollAndResumesAfterADrop() throws Exception {
        Chromium.binary();
        try (TestGateway gw = new TestGateway("livequery.demo.enabled", "true");
                Demo demo = Demo.start(gw.backend, 300, 0);
                Chromium page = Chromium.launch()) {
            page.navigate("http://127.0.0.1:" + gw.port + "/");
            awaitPageShows(page, gw, 50);
            assertThat(page.eval("document.getElementById('state').textContent").asText()).isEqualTo("open");

            // A visible row jumps to the top: the page moves it there and highlights it.
            String moved = gw.truth(Demo.TABLE, "order=-price&limit=50").get(20).get("id").asText();
            assertThat(gw.http("PATCH", "/v1/tables/demo_items/rows/" + moved, "{\"price\":100000}",
                    "Content-Type", "application/json").statusCode()).isEqualTo(200);
            awaitPageShows(page, gw, 50);
            assertThat(domIds(page).getFirst()).isEqualTo(moved);
            assertThat(page.eval("document.querySelector('#rows tr').className").asText()).isEqualTo("changed");

            // A visible row is deleted (it leaves, the next one enters at the bottom) and a new row
            // is inserted at the top (it enters, the last one leaves).
            String gone = gw.truth(Demo.TABLE, "order=-price&limit=50").get(10).get("id").asText();
            assertThat(gw.http("DELETE", "/v1/tables/demo_items/rows/" + gone, null).statusCode()).isEqualTo(200);
            assertThat(gw.http("PUT", "/v1/tables/demo_items/rows/fresh", "{\"name\":\"fresh\",\"price\":200000}",
                    "Content-Type", "application/json").statusCode()).isEqualTo(200);
            awaitPageShows(page, gw, 50);
            assertThat(domIds(page)).startsWith("fresh").doesNotContain(gone);

            // Scrolling to the bottom grows the window by reanchoring.
            page.eval("window.scrollTo(0, document.body.scrollHeight); true");
            awaitPageShows(page, gw, 100);

            // The socket drops; a write lands meanwhile; the page reconnects and resumes.
            page.eval("demo.lq.ws.close(); true");
            String other = gw.truth(Demo.TABLE, "order=-price&limit=100").get(70).get("id").asText();
            gw.http("PATCH", "/v1/tables/demo_items/rows/" + other, "{\"price\":99999}",
                    "Content-Type", "application/json");
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() ->
                    page.eval("!!(demo.sub().ready && demo.sub().ready.resumed)").asBoolean());
            awaitPageShows(page, gw, 100);
            assertThat(domIds(page).get(2)).isEqualTo(other);

            page.screenshot(Path.of("target", "demo-page.png"));
        }
    }

    private static void awaitPageShows(Chromium page, TestGateway gw, int limit) {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            List<String> truth = new ArrayList<>();
            gw.truth(Demo.TABLE, "order=-price&limit=" + limit).forEach(r -> truth.add(r.get("id").asText()));
            assertThat(domIds(page)).isEqualTo(truth);
        });
    }

    private static List<String> domIds(Chromium page) throws Exception {
        List<String> ids = new ArrayList<>();
        for (JsonNode id : page.eval(DOM_IDS)) {
            ids.add(id.asText());
        }
        return ids;
    }
}
