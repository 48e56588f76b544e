package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.testkit.wire.WsClient;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** PROTOCOL §1: a table comes into being on its first write, and watching or reading one does not make it. */
class TableLifecycleTest {
    private static final Pattern TABLES = Pattern.compile("(?m)^livequery_backend_tables (\\S+)$");

    @Test
    void onlyAWriteMakesATable() throws Exception {
        try (TestGateway gw = new TestGateway()) {
            var batch = gw.http(
                    "POST",
                    "/v1/tables/nothing/batch",
                    "{\"upsert\":[],\"delete\":[]}",
                    "Content-Type",
                    "application/json");
            assertThat(batch.statusCode()).isEqualTo(200);
            assertThat(gw.http("GET", "/v1/tables/nothing/query?limit=5", null).statusCode())
                    .isEqualTo(200);
            assertThat(tables(gw)).isZero();

            try (WsClient c = WsClient.connect(gw.port)) {
                c.send(WebSocketTest.sub("g", "{\"table\":\"ghost\",\"limit\":5}"));
                c.send(WebSocketTest.sub("l", "{\"table\":\"later\",\"limit\":5}"));
                await().atMost(Duration.ofSeconds(5))
                        .until(() ->
                                c.replica("g").readies() == 1 && c.replica("l").readies() == 1);
                gw.http("PUT", "/v1/tables/later/rows/a", "{\"n\":1}", "Content-Type", "application/json");
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("l").ids().equals(List.of("a")));
                c.send("{\"action\":\"unsubscribe\",\"sub\":\"g\"}");
                c.send("{\"action\":\"unsubscribe\",\"sub\":\"l\"}");
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("g").has("closed", "unsubscribed")
                                && c.replica("l").has("closed", "unsubscribed"));
            }
            // "ghost" was only watched: gone with its last subscription; "later" was written: kept
            await().atMost(Duration.ofSeconds(5)).until(() -> tables(gw) == 1);
            assertThat(gw.backend.gauges()).containsEntry("views", 0L);
            // and a table watched again after it was dropped works as before
            try (WsClient c = WsClient.connect(gw.port)) {
                c.send(WebSocketTest.sub("g", "{\"table\":\"ghost\",\"limit\":5}"));
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("g").readies() == 1);
                gw.http("PUT", "/v1/tables/ghost/rows/b", "{\"n\":1}", "Content-Type", "application/json");
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("g").ids().equals(List.of("b")));
            }
            assertThat(tables(gw)).isEqualTo(2);
        }
    }

    private static double tables(TestGateway gw) throws Exception {
        Matcher m = TABLES.matcher(gw.http("GET", "/metrics", null).body());
        assertThat(m.find()).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
