package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.gateway.demo.Demo;
import dev.livequery.testkit.Browser;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The demo page and livequery.js in real headless Chromium (Debian package {@code chromium}), driven
 * over the DevTools protocol ({@link Cdp}), against a real gateway. Every check compares what the
 * page holds and shows with the one-shot query API for the same window. The simulator is off except
 * where said: the test makes the changes, so the truth is stable while it is compared.
 *
 * <p>A screenshot of the demo page goes to {@code target/browser/demo.png}, and also to the path in
 * {@code -Dbrowser.screenshot} when that is set.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Browser
class BrowserTest {
    static final String TABLE = Demo.TABLE;
    static Cdp chrome;
    TestGateway gw;
    Demo demo;
    Gateway restarted;

    @BeforeAll
    static void browser() throws Exception {
        chrome = Cdp.launch();
    }

    @AfterAll
    static void closeBrowser() {
        if (chrome != null) {
            chrome.close();
        }
    }

    @BeforeEach
    void gateway() throws Exception {
        gw = new TestGateway("livequery.demo.enabled", "true");
        demo = Demo.start(gw.backend, 400, 0);
        chrome.exceptions.clear();
        chrome.console.clear();
    }

    @AfterEach
    void stop() {
        try {
            chrome.offline(false);
            chrome.navigate("about:blank"); // before the gateway goes, so the page does not retry into the void
            assertThat(chrome.exceptions)
                    .as("uncaught exceptions in the page; console: %s", chrome.console)
                    .isEmpty();
        } finally {
            if (restarted != null) {
                restarted.stop();
            }
            demo.close();
            gw.close();
        }
    }

    @Test
    void demoPageGoesLiveAndShowsTheQueryWindow() throws Exception {
        chrome.navigate(base() + "/");
        JsonNode p = awaitInSync("order=-price&limit=50");
        assertThat(p.get("state").asText()).isEqualTo("live");
        assertThat(p.get("dom")).hasSize(50);
        // cells show the row: id, name, category, price with two decimals
        JsonNode first = gw.truth(TABLE, "order=-price&limit=1").get(0);
        JsonNode cells = chrome.eval("[...document.querySelector('#rows tr').children].map(td => td.textContent)");
        assertThat(cells.get(0).asText()).isEqualTo("1");
        assertThat(cells.get(1).asText()).isEqualTo(first.get("id").asText());
        assertThat(cells.get(2).asText()).isEqualTo(first.get("name").asText());
        assertThat(cells.get(3).asText()).isEqualTo(first.get("category").asText());
        assertThat(cells.get(4).asText())
                .isEqualTo(first.get("price").decimalValue().setScale(2).toPlainString());
        screenshot("demo.png");

        // a burst of 1,000 reprices across the table (rendered in coalesced batches): the page converges
        java.util.Random random = new java.util.Random(7);
        List<String> all = ids(Json.MAPPER.valueToTree(gw.truth(TABLE, "order=-price&limit=1000")));
        for (int i = 0; i < 1000; i++) {
            var f = Json.MAPPER
                    .createObjectNode()
                    .put("price", new java.math.BigDecimal(random.nextInt(100_000)).movePointLeft(2));
            gw.backend.patch(TABLE, all.get(random.nextInt(all.size())), f, null);
        }
        awaitInSync("order=-price&limit=50");
        assertThat(chrome.eval("demo.sub().resets").asInt()).isEqualTo(1);
    }

    @Test
    void inJwtModeTheDemoPageTakesItsTokenFromTheFragment() throws Exception {
        String rules = "{\"" + TABLE + "\": {\"read\": true, \"write\": false}}";
        // a second gateway, in jwt mode, over the same backend: gw answers the truth without a token
        AuthGateway secured =
                AuthGateway.over(s -> gw.backend, "livequery.demo.enabled", "true", "livequery.auth.rules", rules);
        try {
            String page = "http://127.0.0.1:" + secured.port + "/";
            chrome.navigate(page);
            awaitPage()
                    .untilAsserted(() -> assertThat(chrome.eval("document.getElementById('info').textContent")
                                    .asText())
                            .startsWith("error: unauthorized"));
            chrome.navigate("about:blank"); // a new fragment alone would not load the page again
            chrome.navigate(page + "#token=" + AuthGateway.token("viewer", Duration.ofMinutes(5)));
            assertThat(awaitInSync("order=-price&limit=50").get("dom")).hasSize(50);
        } finally {
            chrome.navigate("about:blank"); // before the gateway goes, so the page does not retry into the void
            secured.gateway.stop(); // not close(): the backend is gw's, closed with it
        }
    }

    @Test
    void writesThroughTheHttpApiLandInPlaceAndAreHighlighted() throws Exception {
        chrome.navigate(base() + "/");
        JsonNode p = awaitInSync("order=-price&limit=50");
        // every row that gets the "changed" class, in order
        chrome.eval("""
                window.flashed = [];
                new MutationObserver(ms => ms.forEach(m => { if (m.target.classList.contains('changed')) flashed.push(m.target.dataset.id); }))
                  .observe(document.getElementById('rows'), {subtree: true, attributes: true, attributeFilter: ['class']});
                true""");
        List<String> ids = ids(p.get("dom"));
        List<String> outside = ids(Json.MAPPER.valueToTree(gw.truth(TABLE, "order=-price&limit=100")))
                .subList(50, 100);

        // a visible row's sort key changes: it moves to the top
        String moved = ids.get(10);
        write("PATCH", moved, "{\"price\": 99999}");
        awaitFlashed(moved);
        assertThat(ids(awaitInSync("order=-price&limit=50").get("dom")).get(0)).isEqualTo(moved);

        // a visible row is deleted
        String deleted = ids.get(5);
        write("DELETE", deleted, null);
        assertThat(ids(awaitInSync("order=-price&limit=50").get("dom"))).doesNotContain(deleted);

        // a new row is inserted at the top
        write(
                "PUT",
                "zz-new",
                "{\"id\":\"zz-new\",\"name\":\"brand new\",\"category\":\"toys\",\"price\":100000,\"stock\":1}");
        awaitFlashed("zz-new");
        assertThat(ids(awaitInSync("order=-price&limit=50").get("dom")).get(0)).isEqualTo("zz-new");
        screenshot("demo-changed.png");

        // a row changes without moving (stock is not the sort key): same place, highlighted
        String updated = ids.get(30);
        int at = ids(awaitInSync("order=-price&limit=50").get("dom")).indexOf(updated);
        write("PATCH", updated, "{\"stock\": 12345}");
        awaitFlashed(updated);
        JsonNode q = awaitInSync("order=-price&limit=50");
        assertThat(ids(q.get("dom")).indexOf(updated)).isEqualTo(at);
        assertThat(chrome.eval("document.querySelector('#rows tr[data-id=\"" + updated
                                + "\"]').children[5].textContent")
                        .asText())
                .isEqualTo("12345");

        // a row from below the window is repriced into its middle
        String entering = outside.get(0);
        JsonNode mid = gw.truth(TABLE, "order=-price&limit=50").get(25);
        write(
                "PATCH",
                entering,
                "{\"price\": " + mid.get("price").decimalValue().add(new java.math.BigDecimal("0.001")) + "}");
        awaitFlashed(entering);
        assertThat(ids(awaitInSync("order=-price&limit=50").get("dom")).indexOf(entering))
                .isEqualTo(25);

        // only what changed was highlighted
        assertThat(ids(chrome.eval("flashed"))).containsOnly(moved, "zz-new", updated, entering);
    }

    @Test
    void scrollingGrowsTheWindowThenSlidesItAndBack() throws Exception {
        chrome.navigate(base() + "/?page=50&max=150");
        JsonNode p = awaitInSync("order=-price&limit=50");
        p = scrollToBottomAndSync("order=-price&limit=100");
        p = scrollToBottomAndSync("order=-price&limit=150");
        String firstKept = ids(p.get("dom")).get(50);
        // past max the window slides: it starts after its 50th row
        chrome.eval("window.scrollTo(0, document.body.scrollHeight); true");
        await().atMost(Duration.ofSeconds(10))
                .until(() ->
                        chrome.eval("demo.sub().query.after || ''").asText().length() > 0);
        String after = chrome.eval("demo.sub().query.after").asText();
        p = awaitInSync("order=-price&limit=150&after=" + TestGateway.enc(after));
        assertThat(ids(p.get("dom")).get(0)).isEqualTo(firstKept);
        assertThat(chrome.eval("document.querySelector('#rows tr').children[0].textContent")
                        .asText())
                .isEqualTo("51");
        assertThat(p.get("ready").get("has_more_before").asBoolean()).isTrue();
        // the browser kept the view still: the bottom is not where the user was dropped
        assertThat(chrome.eval("window.innerHeight + window.scrollY < document.body.offsetHeight - 300")
                        .asBoolean())
                .isTrue();

        // live changes in a slid window
        String last = ids(p.get("dom")).get(149);
        write("PATCH", last, "{\"stock\": 7}");
        awaitInSync("order=-price&limit=150&after=" + TestGateway.enc(after));

        // back to the top: slides up, then is a from-the-top window again
        chrome.eval("window.scrollTo(0, 0); true");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> chrome.eval("demo.sub().query.after || demo.sub().query.before || ''")
                        .asText()
                        .isEmpty());
        p = awaitInSync("order=-price&limit=150");
        assertThat(chrome.eval("document.querySelector('#rows tr').children[0].textContent")
                        .asText())
                .isEqualTo("1");
    }

    @Test
    void aDroppedConnectionReconnectsAndResumesWithoutReset() throws Exception {
        chrome.navigate(base() + "/");
        JsonNode p = awaitInSync("order=-price&limit=50");
        List<String> ids = ids(p.get("dom"));
        chrome.eval("""
                window.closes = 0;
                const shown = demo.lq.options.onState;
                demo.lq.options.onState = (s, d) => { if (s === 'closed') closes++; shown(s, d); };
                true""");
        chrome.offline(true);
        chrome.eval("demo.lq.drop(); true");
        // the drop, then at least one reconnect that the (emulated) network refused
        await().atMost(Duration.ofSeconds(10)).until(() -> chrome.eval("closes").asInt() >= 2);
        assertThat(chrome.eval("document.getElementById('state').textContent").asText())
                .isEqualTo("reconnecting");
        // changes the page misses while it is cut off
        write("PATCH", ids.get(20), "{\"price\": 99999}");
        write("DELETE", ids.get(3), null);
        write(
                "PUT",
                "zz-offline",
                "{\"id\":\"zz-offline\",\"name\":\"while away\",\"category\":\"books\",\"price\":50000,\"stock\":2}");
        assertThat(chrome.eval("demo.lq.connects").asInt())
                .as("no reconnect while offline")
                .isEqualTo(1);
        assertThat(ids(chrome.eval("[...document.querySelectorAll('#rows tr')].map(tr => tr.dataset.id)")))
                .isEqualTo(ids);
        chrome.offline(false);
        await().atMost(Duration.ofSeconds(15))
                .until(() -> chrome.eval("demo.lq.connects").asInt() == 2);
        p = awaitInSync("order=-price&limit=50");
        assertThat(p.get("ready").get("resumed").asBoolean())
                .as("ready after the reconnect says resumed")
                .isTrue();
        assertThat(p.get("resets").asInt())
                .as("no reset after the first snapshot")
                .isEqualTo(1);
        assertThat(ids(p.get("dom"))).contains("zz-offline").doesNotContain(ids.get(3));

        // the gateway restarts (close 1001) and a change lands while it is down: resumed again
        restartGateway(() -> gw.backend.delete(TABLE, "zz-offline", null));
        await().atMost(Duration.ofSeconds(15))
                .until(() -> chrome.eval("demo.lq.connects").asInt() == 3);
        p = awaitInSync("order=-price&limit=50");
        assertThat(p.get("ready").get("resumed").asBoolean()).isTrue();
        assertThat(p.get("resets").asInt()).isEqualTo(1);
    }

    @Test
    void plainEventSourceWithLiveQueryApply() throws Exception {
        String where = "{\"category\":\"toys\"}";
        String params = "where=" + TestGateway.enc(where) + "&order=-price,name&limit=30";
        chrome.navigate(base() + "/health"); // any page of the gateway's origin
        chrome.eval(
                "new Promise((ok, fail) => { const s = document.createElement('script'); s.src = '/v1/client/livequery.js';"
                        + " s.onload = () => ok(true); s.onerror = fail; document.head.appendChild(s); })");
        chrome.eval("""
                window.sse = {rows: [], frames: 0, ready: null, opens: 0};
                window.es = new EventSource('/v1/live/demo_items?%s');
                es.onopen = () => sse.opens++;
                es.onmessage = e => {
                  const f = JSON.parse(e.data);
                  LiveQuery.apply(sse.rows, f);
                  sse.frames++;
                  if (f.op === 'ready') sse.ready = f;
                  if (f.op === 'reset') sse.resets = (sse.resets || 0) + 1;
                  sse.lastId = e.lastEventId;
                };
                true""".formatted(params));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !chrome.eval("sse.ready").isNull());
        awaitSseEquals(params);
        write(
                "PUT",
                "zz-toy",
                "{\"id\":\"zz-toy\",\"name\":\"top toy\",\"category\":\"toys\",\"price\":100000,\"stock\":3}");
        write("PATCH", gw.truth(TABLE, params).get(10).get("id").asText(), "{\"price\": 0}");
        write("PATCH", gw.truth(TABLE, params).get(4).get("id").asText(), "{\"stock\": 1}");
        awaitSseEquals(params);
        assertThat(chrome.eval("sse.rows[0].id").asText()).isEqualTo("zz-toy");
        assertThat(chrome.eval("sse.lastId").asText()).isNotEmpty();

        // the gateway restarts (DevTools' offline mode does not cut a running stream, so do it for real):
        // EventSource reconnects by itself with Last-Event-ID, and the stream resumes
        restartGateway(() -> gw.backend.delete(TABLE, "zz-toy", null));
        await().atMost(Duration.ofSeconds(15))
                .until(() -> chrome.eval("sse.opens").asInt() >= 2);
        awaitSseEquals(params);
        assertThat(chrome.eval("sse.ready.resumed").asBoolean()).isTrue();
        assertThat(chrome.eval("sse.resets").asInt()).isEqualTo(1);
        chrome.eval("es.close(); true");
    }

    // ---- helpers

    interface Change {
        void run() throws Exception;
    }

    /** Stops the gateway, makes {@code whileDown} (on the backend), and starts a new gateway on the same port. */
    void restartGateway(Change whileDown) throws Exception {
        gw.gateway.stop();
        whileDown.run();
        Settings s = Settings.from(Config.just(ConfigSources.create(
                Map.of("server.port", String.valueOf(gw.port), "livequery.demo.enabled", "true"))));
        restarted = Gateway.start(s, gw.backend, null);
    }

    String base() {
        return "http://127.0.0.1:" + gw.port;
    }

    static ConditionFactory awaitPage() {
        return await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(50))
                .ignoreExceptions();
    }

    /** The page's subscription and DOM, in one evaluation. */
    static JsonNode page() {
        return chrome.eval("""
                (() => {
                  const s = demo.sub();
                  return {state: document.getElementById('state').textContent, syncing: s.syncing, ready: s.ready,
                          resets: s.resets, query: s.query, rows: s.rows.map(r => r.row),
                          dom: [...document.querySelectorAll('#rows tr')].map(tr => tr.children[1].textContent)};
                })()""");
    }

    /** Waits until the page is live and both its rows and its DOM equal the one-shot query. */
    JsonNode awaitInSync(String params) {
        JsonNode[] last = new JsonNode[1];
        awaitPage().untilAsserted(() -> {
            JsonNode p = page();
            last[0] = p;
            List<JsonNode> truth = gw.truth(TABLE, params);
            assertThat(p.get("state").asText()).isEqualTo("live");
            assertThat(ids(p.get("dom")))
                    .isEqualTo(truth.stream().map(r -> r.get("id").asText()).toList());
            assertThat(rows(p.get("rows"))).isEqualTo(rows(truth));
        });
        return last[0];
    }

    JsonNode scrollToBottomAndSync(String params) {
        chrome.eval("window.scrollTo(0, document.body.scrollHeight); true");
        return awaitInSync(params);
    }

    void awaitSseEquals(String params) {
        awaitPage()
                .untilAsserted(() -> assertThat(rows(chrome.eval("sse.rows.map(r => r.row)")))
                        .isEqualTo(rows(gw.truth(TABLE, params))));
    }

    void awaitFlashed(String id) {
        awaitPage().untilAsserted(() -> assertThat(ids(chrome.eval("flashed"))).contains(id));
    }

    void write(String method, String id, String body) throws Exception {
        var r = body == null
                ? gw.http(method, "/v1/tables/" + TABLE + "/rows/" + id, null)
                : gw.http(method, "/v1/tables/" + TABLE + "/rows/" + id, body, "Content-Type", "application/json");
        assertThat(r.statusCode()).as("%s %s: %s", method, id, r.body()).isEqualTo(200);
    }

    static List<String> ids(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.isObject() ? n.get("id").asText() : n.asText()));
        return out;
    }

    /** Rows with numbers compared by value (978.50 from Java is 978.5 in JavaScript). */
    static List<JsonNode> rows(Iterable<JsonNode> array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(r -> out.add(canonical(r)));
        return out;
    }

    static JsonNode canonical(JsonNode n) {
        if (n.isNumber()) {
            return Json.MAPPER.getNodeFactory().numberNode(n.decimalValue().stripTrailingZeros());
        }
        if (n.isObject()) {
            var o = Json.MAPPER.createObjectNode();
            n.properties().forEach(e -> o.set(e.getKey(), canonical(e.getValue())));
            return o;
        }
        return n;
    }

    /** Into target/browser/; the first view of the page also to -Dbrowser.screenshot (a path, or true = /tmp). */
    void screenshot(String name) throws IOException {
        byte[] png = chrome.screenshot();
        Path target = Path.of("target", "browser", name);
        Files.createDirectories(target.getParent());
        Files.write(target, png);
        String extra = System.getProperty("browser.screenshot");
        if (name.equals("demo.png") && extra != null && !extra.isBlank()) {
            Files.write(Path.of(extra.equals("true") ? "/tmp/livequery-demo.png" : extra), png);
        }
    }
}
