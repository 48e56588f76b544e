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

    /**
     * Keys are scoped by the principal ({@code sub} in jwt mode): another user's write under the
     * same key is a write of its own, whatever its request: it neither gets the first user's
     * result nor is refused (which let one tenant block another's writes and probe its keys).
     */
    @Test
    void keysAreScopedByPrincipalJwt() throws Exception {
        try (AuthGateway gw = new AuthGateway()) {
            principalsScenario(gw, AuthGateway.token("u1", java.time.Duration.ofMinutes(5)), null);
        }
    }

    /** The same in cluster mode, where the key's claim lives in Redis. */
    @Test
    @Cluster
    void keysAreScopedByPrincipalJwtCluster() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                AuthGateway gw = AuthGateway.over(
                        s -> new RedisBackend(s.engineOptions(), redis.uri(), "idem-jwt", new SimpleMeterRegistry()),
                        "livequery.backend",
                        "redis")) {
            principalsScenario(gw, AuthGateway.token("u1", java.time.Duration.ofMinutes(5)), null);
        }
    }

    /** In none mode the principal is the client address (here named by a trusted proxy), as for quotas. */
    @Test
    void keysAreScopedByClientAddressWithoutAuth() throws Exception {
        try (AuthGateway gw =
                new AuthGateway("livequery.auth.mode", "none", "livequery.trusted-proxies", "127.0.0.1")) {
            principalsScenario(gw, null, "203.0.113.1");
        }
    }

    @Test
    @Cluster
    void keysAreScopedByClientAddressWithoutAuthCluster() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                AuthGateway gw = AuthGateway.over(
                        s -> new RedisBackend(s.engineOptions(), redis.uri(), "idem-none", new SimpleMeterRegistry()),
                        "livequery.backend",
                        "redis",
                        "livequery.auth.mode",
                        "none",
                        "livequery.trusted-proxies",
                        "127.0.0.1")) {
            principalsScenario(gw, null, "203.0.113.1");
        }
    }

    /**
     * Principal 1 writes under key "shared"; principal 2 (token {@code u2}, or address .2) then
     * writes another request under it, and the two send the same request under "k9": each write
     * applies as the principal's own. Principal 1's retry still answers its first result, and its reuse of
     * the key for another request is refused without the key in the message.
     */
    private static void principalsScenario(AuthGateway gw, String token1, String address1) throws Exception {
        String token2 = token1 == null ? null : AuthGateway.token("u2", java.time.Duration.ofMinutes(5));
        String address2 = address1 == null ? null : "203.0.113.2";
        String path = "/v1/tables/open/rows/p";
        HttpResponse<String> first = as(gw, token1, address1, "PUT", path, "{\"n\":1}", "shared");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        long v1 = Json.MAPPER.readTree(first.body()).get("version").asLong();
        HttpResponse<String> other = as(gw, token2, address2, "PUT", path, "{\"n\":2}", "shared");
        assertThat(other.statusCode())
                .as("another principal's request under the key: " + other.body())
                .isEqualTo(200);
        HttpResponse<String> copy = as(gw, token2, address2, "PUT", "/v1/tables/open/rows/q", "{\"n\":1}", "k9");
        HttpResponse<String> copy1 = as(gw, token1, address1, "PUT", "/v1/tables/open/rows/q", "{\"n\":1}", "k9");
        assertThat(copy1.statusCode()).as(copy1.body()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(copy1.body()).get("version").asLong())
                .as("the same request under the same key by another principal is a write of its own")
                .isGreaterThan(Json.MAPPER.readTree(copy.body()).get("version").asLong());
        assertThat(Json.MAPPER.readTree(other.body()).get("version").asLong()).isGreaterThan(v1);
        // principal 1's own key still answers its result, and refuses another request
        assertThat(as(gw, token1, address1, "PUT", path, "{\"n\":1}", "shared").body())
                .isEqualTo(first.body());
        HttpResponse<String> again = as(gw, token1, address1, "PUT", path, "{\"n\":3}", "shared");
        reused(again);
        assertThat(again.body()).doesNotContain("shared");
    }

    private static HttpResponse<String> as(
            AuthGateway gw, String token, String address, String method, String path, String body, String key)
            throws Exception {
        if (address != null) {
            return gw.http(method, path, body, null, "Idempotency-Key", key, "X-Forwarded-For", address);
        }
        return gw.http(method, path, body, token, "Idempotency-Key", key);
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
