package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.testkit.wire.WsClient;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What a new shape may cost a table: views are capped; one-shot queries reuse a watched view. */
class QueryCostTest {
    private static final Pattern SCANS = Pattern.compile("(?m)^livequery_backend_one_shot_scans (\\S+)$");

    @Test
    void distinctShapesPerTableAreCapped() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.limits.max-views", "2")) {
            gw.put("v", "a", "n", 1, "k", "x");
            try (WsClient c = WsClient.connect(gw.port)) {
                c.send(WebSocketTest.sub("s1", "{\"table\":\"v\",\"order\":[{\"field\":\"n\"}],\"limit\":5}"));
                c.send(WebSocketTest.sub("s2", "{\"table\":\"v\",\"where\":{\"k\":\"x\"},\"limit\":5}"));
                c.send(WebSocketTest.sub("s3", "{\"table\":\"v\",\"where\":{\"k\":\"y\"},\"limit\":5}"));
                c.send(WebSocketTest.sub(
                        "s4", "{\"table\":\"v\",\"order\":[{\"field\":\"n\"}],\"limit\":2}")); // shape of s1
                c.send(WebSocketTest.sub(
                        "o1", "{\"table\":\"other\",\"where\":{\"k\":\"y\"},\"limit\":5}")); // another table
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("s1").readies() == 1
                                && c.replica("s2").readies() == 1
                                && c.replica("s4").readies() == 1
                                && c.replica("o1").readies() == 1
                                && !c.frames("error", "s3").isEmpty());
                assertThat(c.frames("error", "s3").get(0).get("code").asText()).isEqualTo("too_many_subs");
                assertThat(c.frames("error", "s3").get(0).get("message").asText())
                        .contains("livequery.limits.max-views");
                HttpApiTest.error(gw.http("GET", "/v1/live/v?limit=5&order=-n", null), 429, "too_many_subs");
                // a one-shot query makes no view, so it is not refused
                assertThat(gw.http("GET", "/v1/tables/v/query?limit=5&order=-n", null)
                                .statusCode())
                        .isEqualTo(200);
                // a freed shape makes room
                c.send("{\"action\":\"unsubscribe\",\"sub\":\"s2\"}");
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("s2").has("closed", "unsubscribed"));
                c.send(WebSocketTest.sub("s3", "{\"table\":\"v\",\"where\":{\"k\":\"y\"},\"limit\":5}"));
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("s3").readies() == 1);
            }
        }
    }

    /**
     * {@code livequery.limits.max-view-rows} bounds the rows all views hold, across tables: a
     * subscription whose view would pass it is refused ({@code too_many_subs}, naming the key),
     * over SSE too, and so is a one-shot scan; closing a view makes room.
     */
    @Test
    void viewRowsAreCappedGatewayWide() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.limits.max-view-rows", "10")) {
            for (int i = 0; i < 6; i++) {
                gw.put("va", "r" + i, "n", i);
                gw.put("vb", "r" + i, "n", i);
            }
            try (WsClient c = WsClient.connect(gw.port)) {
                c.send(WebSocketTest.sub("a", "{\"table\":\"va\",\"limit\":5}"));
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("a").readies() == 1);
                c.send(WebSocketTest.sub("b", "{\"table\":\"vb\",\"limit\":5}"));
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> !c.frames("error", "b").isEmpty());
                assertThat(c.frames("error", "b").get(0).get("code").asText()).isEqualTo("too_many_subs");
                assertThat(c.frames("error", "b").get(0).get("message").asText())
                        .contains("livequery.limits.max-view-rows");
                HttpApiTest.error(gw.http("GET", "/v1/live/vb?limit=5", null), 429, "too_many_subs");
                HttpApiTest.error(gw.http("GET", "/v1/tables/vb/query?limit=5", null), 429, "too_many_subs");
                // a watched shape's query reads its view: no new one
                assertThat(gw.http("GET", "/v1/tables/va/query?limit=5", null).statusCode())
                        .isEqualTo(200);
                c.send("{\"action\":\"unsubscribe\",\"sub\":\"a\"}");
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("a").has("closed", "unsubscribed"));
                c.send(WebSocketTest.sub("b", "{\"table\":\"vb\",\"limit\":5}"));
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("b").readies() == 1);
            }
        }
    }

    @Test
    void maxWindowBoundsEveryLimit() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.limits.max-window", "10")) {
            gw.put("mw", "a", "n", 1);
            HttpApiTest.error(gw.http("GET", "/v1/tables/mw/query?limit=11", null), 400, "bad_query");
            HttpApiTest.error(gw.http("GET", "/v1/live/mw?limit=11", null), 400, "bad_query");
            assertThat(gw.http("GET", "/v1/tables/mw/query?limit=10", null).statusCode())
                    .isEqualTo(200);
            try (WsClient c = WsClient.connect(gw.port)) {
                c.send(WebSocketTest.sub("s", "{\"table\":\"mw\",\"limit\":11}"));
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> !c.frames("error", "s").isEmpty());
                assertThat(c.frames("error", "s").get(0).get("code").asText()).isEqualTo("bad_query");
            }
        }
    }

    @Test
    void aOneShotQueryOfAWatchedShapeReadsItsViewInsteadOfScanning() throws Exception {
        try (TestGateway gw = new TestGateway()) {
            for (int i = 0; i < 50; i++) {
                gw.put("w", "r%02d".formatted(i), "n", i, "k", i % 2);
            }
            String watched = "where=" + TestGateway.enc("{\"k\":1}") + "&order=-n";
            try (WsClient c = WsClient.connect(gw.port)) {
                c.send(
                        WebSocketTest.sub(
                                "s",
                                "{\"table\":\"w\",\"where\":{\"k\":1},\"order\":[{\"field\":\"n\",\"dir\":\"desc\"}],\"limit\":3}"));
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("s").readies() == 1);
                double before = scans(gw);
                List<?> rows = gw.truth("w", watched + "&limit=10");
                assertThat(rows).hasSize(10);
                assertThat(gw.truth("w", watched + "&limit=1").get(0).get("id").asText())
                        .isEqualTo("r49");
                assertThat(scans(gw)).isEqualTo(before);
                // an unwatched shape scans, and gives the same rows
                assertThat(gw.truth(
                                "w", "where=" + TestGateway.enc("{\"k\":1,\"n\":{\"gte\":0}}") + "&order=-n&limit=10"))
                        .isEqualTo(rows);
                assertThat(scans(gw)).isEqualTo(before + 1);
            }
        }
    }

    private static double scans(TestGateway gw) throws Exception {
        Matcher m = SCANS.matcher(gw.http("GET", "/metrics", null).body());
        assertThat(m.find()).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
