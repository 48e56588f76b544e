package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.gateway.demo.Demo;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DemoTest {
    @Test
    void pageIsServedAndTheSimulatorChangesTheTable() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.demo.enabled", "true");
                Demo demo = Demo.start(gw.backend, 300, 50)) {
            var page = gw.http("GET", "/", null);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("livequery.js", "demo_items");
            var js = gw.http("GET", "/v1/client/livequery.js", null);
            assertThat(js.statusCode()).isEqualTo(200);
            assertThat(js.body()).contains("resume");
            try (WsClient c = WsClient.connect(gw.port)) {
                c.send(WebSocketTest.sub("d", "{\"table\":\"demo_items\",\"order\":[{\"field\":\"price\",\"dir\":\"desc\"}],\"limit\":300}"));
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("d").readies == 1);
                assertThat(c.replica("d").rows()).hasSizeGreaterThanOrEqualTo(250);
                int n = c.replica("d").frames().size();
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("d").frames().size() > n + 5);
            }
        }
    }
}
