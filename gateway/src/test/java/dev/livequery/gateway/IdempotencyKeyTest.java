package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * {@code Idempotency-Key} over HTTP, the same in both modes: a write sent twice under one key
 * applies once and both answers are equal; the key sent again with another request (body, row,
 * table, method, If-Match) is 422 {@code idempotency_key_reused} and changes nothing.
 */
class IdempotencyKeyTest {
    @Test
    void embedded() throws Exception {
        try (TestGateway gw = new TestGateway()) {
            scenario(gw);
        }
    }

    @Test
    @Cluster
    void cluster() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                TestGateway gw = TestGateway.over(
                        s -> new RedisBackend(s.engineOptions(), redis.uri(), "idem-gw", new SimpleMeterRegistry()),
                        "livequery.backend",
                        "redis")) {
            scenario(gw);
        }
    }

    /** In jwt mode the key is bound to the principal too: another user's retry cannot read the result. */
    @Test
    void aKeyIsBoundToItsPrincipal() throws Exception {
        try (AuthGateway gw = new AuthGateway()) {
            String u1 = AuthGateway.token("u1", java.time.Duration.ofMinutes(5));
            String u2 = AuthGateway.token("u2", java.time.Duration.ofMinutes(5));
            String path = "/v1/tables/open/rows/p";
            HttpResponse<String> first = gw.http("PUT", path, "{\"n\":1}", u1, "Idempotency-Key", "shared");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            assertThat(gw.http("PUT", path, "{\"n\":1}", u1, "Idempotency-Key", "shared")
                            .body())
                    .isEqualTo(first.body());
            reused(gw.http("PUT", path, "{\"n\":1}", u2, "Idempotency-Key", "shared"));
            assertThat(Json.MAPPER
                            .readTree(gw.http("GET", path, null, u2).body())
                            .get("version")
                            .asLong())
                    .isEqualTo(Json.MAPPER.readTree(first.body()).get("version").asLong());
        }
    }

    private static HttpResponse<String> send(
            TestGateway gw, String method, String path, String body, String key, String... more) throws Exception {
        String[] h = new String[4 + more.length];
        h[0] = "Content-Type";
        h[1] = "application/json";
        h[2] = "Idempotency-Key";
        h[3] = key;
        System.arraycopy(more, 0, h, 4, more.length);
        return gw.http(method, path, body, h);
    }

    private static long version(TestGateway gw, String id) throws Exception {
        HttpResponse<String> r = gw.http("GET", "/v1/tables/idem/rows/" + id, null);
        return r.statusCode() == 404
                ? -1
                : Json.MAPPER.readTree(r.body()).get("version").asLong();
    }

    /** The table's last version, found by a write without a key: each applied change takes one. */
    private static long lastVersion(TestGateway gw) throws Exception {
        HttpResponse<String> r = gw.http("PUT", "/v1/tables/idem/rows/probe", "{}", "Content-Type", "application/json");
        return Json.MAPPER.readTree(r.body()).get("version").asLong() - 1;
    }

    private static void reused(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(e.get("code").asText()).isEqualTo("idempotency_key_reused");
        assertThat(e.get("message").asText()).contains("Idempotency-Key").doesNotContain("Exception");
    }

    static void scenario(TestGateway gw) throws Exception {
        String rowA = "/v1/tables/idem/rows/a";
        long before = lastVersion(gw);
        HttpResponse<String> first = send(gw, "PUT", rowA, "{\"x\":1}", "k1");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        HttpResponse<String> retry = send(gw, "PUT", rowA, "{\"x\":1}", "k1");
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        long v1 = Json.MAPPER.readTree(first.body()).get("version").asLong();
        assertThat(version(gw, "a")).isEqualTo(v1);
        // one change between the probes: the put applied once (the probe itself took one more)
        assertThat(lastVersion(gw)).isEqualTo(before + 2);

        // the same key for another request: another body, row or method is refused, nothing changes
        long mark = lastVersion(gw);
        reused(send(gw, "PUT", rowA, "{\"x\":2}", "k1"));
        reused(send(gw, "PUT", "/v1/tables/idem/rows/b", "{\"x\":1}", "k1"));
        reused(send(gw, "PUT", "/v1/tables/idem2/rows/a", "{\"x\":1}", "k1"));
        reused(send(gw, "PATCH", rowA, "{\"x\":1}", "k1"));
        reused(send(gw, "DELETE", rowA, null, "k1"));
        reused(send(gw, "PUT", rowA, "{\"x\":1}", "k1", "If-Match", Long.toString(v1)));
        assertThat(version(gw, "a")).isEqualTo(v1);
        assertThat(version(gw, "b")).isEqualTo(-1);
        assertThat(gw.http("GET", "/v1/tables/idem2/rows/a", null).statusCode()).isEqualTo(404);
        assertThat(Json.MAPPER
                        .readTree(gw.http("GET", rowA, null).body())
                        .at("/row/x")
                        .asInt())
                .isEqualTo(1);
        assertThat(lastVersion(gw)).isEqualTo(mark + 1);

        // a batch, a patch under If-Match: * (a retry reads a newer version, yet is the same request)
        // and a delete (a retry finds the row gone, yet answers the first result)
        String batch = "{\"upsert\":[{\"id\":\"c\",\"n\":1},{\"id\":\"d\",\"n\":2}]}";
        HttpResponse<String> b1 = send(gw, "POST", "/v1/tables/idem/batch", batch, "k2");
        assertThat(b1.statusCode()).as(b1.body()).isEqualTo(200);
        assertThat(send(gw, "POST", "/v1/tables/idem/batch", batch, "k2").body())
                .isEqualTo(b1.body());
        reused(send(gw, "POST", "/v1/tables/idem/batch", batch.replace("2}", "3}"), "k2"));
        HttpResponse<String> p1 = send(gw, "PATCH", "/v1/tables/idem/rows/c", "{\"n\":5}", "k3", "If-Match", "*");
        assertThat(p1.statusCode()).as(p1.body()).isEqualTo(200);
        assertThat(send(gw, "PATCH", "/v1/tables/idem/rows/c", "{\"n\":5}", "k3", "If-Match", "*")
                        .body())
                .isEqualTo(p1.body());
        HttpResponse<String> d1 = send(gw, "DELETE", "/v1/tables/idem/rows/d", null, "k4");
        assertThat(d1.statusCode()).as(d1.body()).isEqualTo(200);
        assertThat(send(gw, "DELETE", "/v1/tables/idem/rows/d", null, "k4").body())
                .isEqualTo(d1.body());
        long after = lastVersion(gw);
        // since `mark`: its probe, the 2 upserts, the patch, the delete, this probe
        assertThat(after).isEqualTo(mark + 1 + 2 + 1 + 1 + 1);
        assertThat(version(gw, "d")).isEqualTo(-1);
        assertThat(Json.MAPPER
                        .readTree(gw.http("GET", "/v1/tables/idem/rows/c", null).body())
                        .at("/row/n")
                        .asInt())
                .isEqualTo(5);
    }
}
