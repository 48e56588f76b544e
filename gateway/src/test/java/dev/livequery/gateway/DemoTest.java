package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.gateway.demo.Demo;
import dev.livequery.testkit.wire.WsClient;
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
                c.send(WebSocketTest.sub(
                        "d",
                        "{\"table\":\"demo_items\",\"order\":[{\"field\":\"price\",\"dir\":\"desc\"}],\"limit\":300}"));
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("d").readies() == 1);
                assertThat(c.replica("d").rows()).hasSizeGreaterThanOrEqualTo(250);
                int n = c.replica("d").frames().size();
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("d").frames().size() > n + 5);
            }
        }
    }

    @Test
    void demoKeysSizeAndPaceTheSimulator() throws Exception {
        Settings still = TestGateway.settings("livequery.demo.rows", "120", "livequery.demo.changes-per-second", "0");
        dev.livequery.core.LocalBackend b = new dev.livequery.core.LocalBackend(still.engineOptions());
        try (Demo d = Demo.start(b, still)) {
            assertThat(b.gauges()).containsEntry("rows", 120L);
        }
        Settings busy = TestGateway.settings("livequery.demo.rows", "10", "livequery.demo.changes-per-second", "200");
        dev.livequery.core.LocalBackend c = new dev.livequery.core.LocalBackend(busy.engineOptions());
        try (Demo d = Demo.start(c, busy)) {
            // 100 changes: half a second at 200/s, half a minute at the default 3/s
            await().atMost(Duration.ofSeconds(10)).until(() -> c.lastChange(Demo.TABLE) >= 110);
        }
        b.close();
        c.close();
    }
}
