package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.wire.SseClient;
import dev.livequery.testkit.wire.WsClient;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpApiTest {
    static TestGateway gw;
    static final String[] JSON = {"Content-Type", "application/json"};

    @BeforeAll
    static void start() {
        gw = new TestGateway(
                "livequery.limits.max-body",
                "2000",
                "livequery.tables.allow",
                "t,other",
                "livequery.limits.max-connections",
                "2");
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    static void error(HttpResponse<String> r, int status, String code) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(json(r).at("/error/code").asText()).isEqualTo(code);
        assertThat(json(r).at("/error/message").asText()).isNotBlank();
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void rowLifecycle() throws Exception {
        var put = gw.http("PUT", "/v1/tables/t/rows/a", "{\"x\":1,\"y\":\"keep\"}", JSON);
        assertThat(put.statusCode()).isEqualTo(200);
        long v1 = json(put).get("version").asLong();
        var patch = gw.http("PATCH", "/v1/tables/t/rows/a", "{\"x\":2,\"y\":null}", JSON);
        assertThat(json(patch).get("version").asLong()).isGreaterThan(v1);
        var get = gw.http("GET", "/v1/tables/t/rows/a", null);
        assertThat(json(get).get("row")).isEqualTo(Json.MAPPER.readTree("{\"id\":\"a\",\"x\":2}"));
        error(
                gw.http(
                        "PUT",
                        "/v1/tables/t/rows/a",
                        "{\"x\":3}",
                        "Content-Type",
                        "application/json",
                        "If-Match",
                        String.valueOf(v1)),
                412,
                "version_mismatch");
        var cas = gw.http(
                "PUT",
                "/v1/tables/t/rows/a",
                "{\"x\":3}",
                "Content-Type",
                "application/json",
                "If-Match",
                json(get).get("version").asText());
        assertThat(cas.statusCode()).isEqualTo(200);
        var del = gw.http("DELETE", "/v1/tables/t/rows/a", null);
        assertThat(json(del).get("deleted").asBoolean()).isTrue();
        error(gw.http("GET", "/v1/tables/t/rows/a", null), 404, "not_found");
        error(gw.http("DELETE", "/v1/tables/t/rows/a", null), 404, "not_found");
        error(gw.http("PATCH", "/v1/tables/t/rows/a", "{\"x\":1}", JSON), 404, "not_found");
    }

    @Test
    void batchAndQuery() throws Exception {
        var b = gw.http(
                "POST",
                "/v1/tables/other/batch",
                "{\"upsert\":[{\"id\":\"p\",\"n\":2},{\"id\":\"q\",\"n\":1},{\"id\":\"r\",\"n\":3}]}",
                JSON);
        assertThat(b.statusCode()).as(b.body()).isEqualTo(200);
        assertThat(json(b).get("results")).hasSize(3);
        var q = gw.http("GET", "/v1/tables/other/query?order=n&limit=2", null);
        JsonNode body = json(q);
        assertThat(body.get("rows").findValuesAsText("id")).containsExactly("q", "p");
        assertThat(body.get("cursors")).hasSize(2);
        assertThat(body.get("has_more_before").asBoolean()).isFalse();
        assertThat(body.get("has_more_after").asBoolean()).isTrue();
        var d = gw.http("POST", "/v1/tables/other/batch", "{\"delete\":[\"p\",\"nope\"]}", JSON);
        error(d, 404, "not_found");
        assertThat(gw.http("GET", "/v1/tables/other/rows/p", null).statusCode()).isEqualTo(200);
    }

    /**
     * A one-shot answer carries at most max-response bytes of rows and cursors: fewer rows than
     * the limit, {@code has_more_after}, and the last cursor continues; a row over the cap alone
     * still goes out. Without it, limit 1000 of 1 MiB rows was a 1 GB body built in memory.
     */
    @Test
    void oneShotAnswerStopsAtMaxResponse() throws Exception {
        try (TestGateway small = new TestGateway("livequery.limits.max-response", "1000");
                TestGateway dflt = new TestGateway()) {
            for (TestGateway g : new TestGateway[] {small, dflt}) {
                for (int i = 0; i < 10; i++) {
                    g.put("big", "r" + i, "n", i, "pad", "x".repeat(300));
                }
            }
            java.util.List<String> seen = new java.util.ArrayList<>();
            String page = "/v1/tables/big/query?order=n&limit=10";
            int pages = 0;
            while (page != null) {
                JsonNode body = json(small.http("GET", page, null));
                JsonNode rows = body.get("rows");
                assertThat(rows.size()).as("rows of a page").isBetween(1, 2);
                assertThat(body.get("cursors")).hasSize(rows.size());
                assertThat(body.get("has_more_before").asBoolean()).isEqualTo(pages > 0);
                rows.forEach(r -> seen.add(r.get("id").textValue()));
                pages++;
                page = body.get("has_more_after").asBoolean()
                        ? "/v1/tables/big/query?order=n&limit=10&after="
                                + TestGateway.enc(
                                        body.get("cursors").get(rows.size() - 1).textValue())
                        : null;
            }
            assertThat(seen).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9");
            assertThat(pages).isGreaterThanOrEqualTo(5);
            JsonNode all = json(dflt.http("GET", "/v1/tables/big/query?order=n&limit=10", null));
            assertThat(all.get("rows")).hasSize(10);
            assertThat(all.get("has_more_after").asBoolean()).isFalse();
            // one row larger than the cap by itself: it goes out alone
            small.put("huge", "h0", "pad", "y".repeat(3000));
            small.put("huge", "h1", "pad", "y");
            JsonNode one = json(small.http("GET", "/v1/tables/huge/query?limit=5", null));
            assertThat(one.get("rows").findValuesAsText("id")).containsExactly("h0");
            assertThat(one.get("has_more_after").asBoolean()).isTrue();
        }
    }

    /** A chunked body (no Content-Length) is read up to max-body too: 413 past it, written under it. */
    @Test
    void chunkedBodies() throws Exception {
        error(chunked("{\"pad\":\"" + "x".repeat(3000) + "\"}"), 413, "too_large");
        var ok = chunked("{\"pad\":\"" + "y".repeat(1500) + "\"}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(json(gw.http("GET", "/v1/tables/t/rows/ch", null))
                        .at("/row/pad")
                        .asText())
                .isEqualTo("y".repeat(1500));
    }

    /** PUT of t/ch with a body of unknown length, which the client sends chunked. */
    private static HttpResponse<String> chunked(String body) throws Exception {
        var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port + "/v1/tables/t/rows/ch"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))))
                .build();
        return WsClient.HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * PROTOCOL §7 asks for a body "sent as application/json"; media type names are case-insensitive
     * (RFC 9110 §8.3.1), so {@code Application/JSON} is that type, for every method that takes a body.
     */
    @Test
    void theJsonMediaTypeIsCaseInsensitive() throws Exception {
        String[] ct = {"Content-Type", "Application/JSON; Charset=UTF-8"};
        assertThat(gw.http("PUT", "/v1/tables/t/rows/mt", "{\"x\":1}", ct).statusCode())
                .isEqualTo(200);
        assertThat(gw.http("PATCH", "/v1/tables/t/rows/mt", "{\"x\":2}", ct).statusCode())
                .isEqualTo(200);
        assertThat(gw.http("POST", "/v1/tables/t/batch", "{\"delete\":[\"mt\"]}", ct)
                        .statusCode())
                .isEqualTo(200);
        error(
                gw.http("PUT", "/v1/tables/t/rows/mt", "{\"x\":1}", "Content-Type", "application/jsonx"),
                415,
                "unsupported_media_type");
    }

    @Test
    void everyErrorStatus() throws Exception {
        error(gw.http("PUT", "/v1/tables/t/rows/z", "{\"x\":1}"), 415, "unsupported_media_type");
        error(
                gw.http("PUT", "/v1/tables/t/rows/z", "{\"x\":1}", "Content-Type", "text/plain"),
                415,
                "unsupported_media_type");
        error(gw.http("PUT", "/v1/tables/t/rows/z", "{\"x\":", JSON), 400, "bad_request");
        error(gw.http("PUT", "/v1/tables/t/rows/z", "[1]", JSON), 400, "bad_request");
        error(gw.http("PUT", "/v1/tables/t/rows/z", "{\"a\":1,\"a\":2}", JSON), 400, "bad_request");
        error(gw.http("PUT", "/v1/tables/t/rows/z", "{\"pad\":\"" + "x".repeat(3000) + "\"}", JSON), 413, "too_large");
        error(
                gw.http(
                        "PUT",
                        "/v1/tables/t/rows/z",
                        "{\"x\":1}",
                        "Content-Type",
                        "application/json",
                        "If-Match",
                        "abc"),
                400,
                "bad_request");
        error(gw.http("PUT", "/v1/tables/forbidden/rows/z", "{\"x\":1}", JSON), 404, "unknown_table");
        error(gw.http("PUT", "/v1/tables/BAD/rows/z", "{\"x\":1}", JSON), 400, "bad_query");
        error(gw.http("GET", "/v1/tables/t/query?limit=0", null), 400, "bad_query");
        error(gw.http("GET", "/v1/tables/t/query?limit=5&order=" + TestGateway.enc("a,,b"), null), 400, "bad_query");
        error(gw.http("GET", "/v1/tables/t/query?limit=5&after=forged", null), 400, "bad_query");
        error(gw.http("POST", "/v1/tables/t/batch", "{\"upsert\":[{\"n\":1}]}", JSON), 400, "bad_request");
        error(gw.http("POST", "/v1/tables/t/batch", "{\"frobnicate\":[]}", JSON), 400, "bad_request");
        error(gw.http("GET", "/v1/live/forbidden?limit=5", null), 400, "unknown_table"); // PROTOCOL §5

        // 429: over livequery.limits.max-connections (2 here), checked before the stream starts
        try (SseClient a = SseClient.open(gw.port, "/v1/live/t?limit=5", null, null);
                SseClient b = SseClient.open(gw.port, "/v1/live/t?limit=5", null, null)) {
            SseClient c = SseClient.open(gw.port, "/v1/live/t?limit=5", null, null);
            assertThat(c.status).isEqualTo(429);
            assertThat(Json.MAPPER.readTree(c.body).at("/error/code").asText()).isEqualTo("too_many_subs");
            assertThat(a.status).isEqualTo(200);
            assertThat(b.status).isEqualTo(200);
        }
    }

    @Test
    void healthAndMetrics() throws Exception {
        var h = gw.http("GET", "/health", null);
        assertThat(h.statusCode()).isEqualTo(200);
        var m = gw.http("GET", "/metrics", null);
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.body())
                .contains(
                        "livequery_connections{transport=\"ws\"}",
                        "livequery_backend_views",
                        "livequery_delivery_lag_seconds_bucket",
                        "livequery_resume_total{result=\"hit\"}");
    }

    @Test
    void aBackendThatCannotServeGives503AndHealthSaysDown() throws Exception {
        try (TestGateway down = new TestGateway()) {
            down.backend.close();
            error(
                    down.http("PUT", "/v1/tables/t/rows/a", "{\"x\":1}", "Content-Type", "application/json"),
                    503,
                    "unavailable");
            error(down.http("GET", "/v1/tables/t/query?limit=5", null), 503, "unavailable");
            var h = down.http("GET", "/health", null);
            assertThat(h.statusCode()).isEqualTo(503);
            assertThat(h.body()).contains("DOWN");
        }
    }
}
