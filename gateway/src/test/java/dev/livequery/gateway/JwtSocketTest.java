package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.wire.SseClient;
import dev.livequery.testkit.wire.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PROTOCOL §9 on live connections: the auth command, refresh, expiry (4001) and resume with a fresh token. */
class JwtSocketTest {
    static AuthGateway gw;
    static final String QUERY = "{\"table\":\"items\",\"order\":[{\"field\":\"n\"}],\"limit\":10}";

    @BeforeAll
    static void start() throws Exception {
        gw = new AuthGateway();
        String acme = token("u1", "acme", Duration.ofMinutes(5));
        String globex = token("u2", "globex", Duration.ofMinutes(5));
        for (int i = 0; i < 8; i++) {
            put(acme, "a" + i, "acme", i);
            put(globex, "g" + i, "globex", i);
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String token(String sub, String tenant, Duration ttl) {
        return AuthGateway.token(sub, ttl, "tenant", tenant);
    }

    static void put(String token, String id, String tenant, int n) throws Exception {
        var r = gw.http(
                "PUT",
                "/v1/tables/items/rows/" + id,
                "{\"id\":\"" + id + "\",\"tenant\":\"" + tenant + "\",\"n\":" + n + "}",
                token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    static String subscribe(String sub, String resume) {
        return "{\"action\":\"subscribe\",\"sub\":\"" + sub + "\",\"query\":" + QUERY
                + (resume == null ? "" : ",\"resume\":\"" + resume + "\"") + "}";
    }

    static String auth(String token) {
        return "{\"action\":\"auth\",\"token\":\"" + token + "\"}";
    }

    /** What the token's tenant may see, by the one-shot query. */
    static List<JsonNode> truth(String token) throws Exception {
        JsonNode rows = Json.MAPPER
                .readTree(gw.http("GET", "/v1/tables/items/query?order=n&limit=10", null, token)
                        .body())
                .get("rows");
        List<JsonNode> out = new ArrayList<>();
        rows.forEach(out::add);
        return out;
    }

    @Test
    void aConnectionWithoutTokenAuthenticatesByItsFirstMessage() throws Exception {
        String acme = token("u1", "acme", Duration.ofMinutes(5));
        try (WsClient c = gw.ws(null)) {
            c.send("{\"action\":\"ping\"}");
            c.send(subscribe("s", null));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !c.frames("error", "s").isEmpty());
            assertThat(c.frames("error", "s").get(0).get("code").asText()).isEqualTo("unauthorized");
            assertThat(c.frames("pong", null)).hasSize(1);
            c.send(auth(acme));
            c.send(subscribe("s", null));
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("s").readies() == 1);
            assertThat(c.replica("s").rows()).isEqualTo(truth(acme));
            assertThat(c.replica("s").rows())
                    .allMatch(r -> r.get("tenant").asText().equals("acme"));
        }
    }

    @Test
    void aBadTokenInTheAuthCommandIsAnErrorAndTheConnectionStays() throws Exception {
        try (WsClient c = gw.ws(null)) {
            c.send(auth("garbage"));
            c.send("{\"action\":\"ping\"}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !c.frames("pong", null).isEmpty());
            assertThat(c.frames("error", null))
                    .extracting(f -> f.get("code").asText())
                    .containsExactly("unauthorized");
            assertThat(c.closed).isNotDone();
        }
    }

    @Test
    void aTableTheRulesDenyIsForbidden() throws Exception {
        try (WsClient c = gw.ws(token("u1", "acme", Duration.ofMinutes(5)))) {
            c.send("{\"action\":\"subscribe\",\"sub\":\"x\",\"query\":{\"table\":\"audit_log\",\"limit\":5}}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !c.frames("error", "x").isEmpty());
            assertThat(c.frames("error", "x").get(0).get("code").asText()).isEqualTo("forbidden");
        }
    }

    @Test
    void refreshKeepsTheConnectionAndAnotherSubIsRefused() throws Exception {
        java.time.Instant firstExpiry = java.time.Instant.now().plusSeconds(4);
        try (WsClient c = gw.ws(token("u1", "acme", Duration.ofSeconds(4)))) {
            c.send(subscribe("s", null));
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("s").readies() == 1);
            c.send(auth(token("u2", "globex", Duration.ofMinutes(5))));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !c.frames("error", null).isEmpty());
            assertThat(c.frames("error", null).get(0).get("code").asText()).isEqualTo("forbidden");
            c.send(auth(token("u1", "acme", Duration.ofMinutes(5))));
            // past the first token's expiry the connection is still open and still live
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> java.time.Instant.now().isAfter(firstExpiry.plusSeconds(1)));
            c.send("{\"action\":\"ping\"}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !c.frames("pong", null).isEmpty());
            assertThat(c.closed).isNotDone();
            put(token("u1", "acme", Duration.ofMinutes(1)), "a0", "acme", 100);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> c.replica("s").rows().equals(truth(token("u1", "acme", Duration.ofMinutes(1)))));
            assertThat(c.replica("s").resetCauses()).containsExactly("subscribe");
            put(token("u1", "acme", Duration.ofMinutes(1)), "a0", "acme", 0);
        }
    }

    /**
     * A refresh re-checks every window against the new token's rules: one its rules deny now (a
     * role taken away) or filter otherwise (another tenant) ends with {@code closed revoked}; the
     * others stay live; a refresh with the same claims ends nothing.
     */
    @Test
    void aRefreshThatChangesWhatTheTokenReadsRevokesThoseWindows() throws Exception {
        String admin = AuthGateway.token("u3", Duration.ofMinutes(5), "tenant", "acme", "roles", List.of("admin"));
        try (WsClient c = gw.ws(admin)) {
            c.send(subscribe("items", null));
            c.send("{\"action\":\"subscribe\",\"sub\":\"audit\",\"query\":{\"table\":\"audit_log\",\"limit\":5}}");
            c.send("{\"action\":\"subscribe\",\"sub\":\"open\",\"query\":{\"table\":\"open\",\"limit\":5}}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> List.of("items", "audit", "open").stream()
                            .allMatch(s -> c.replica(s).readies() == 1));

            c.send(auth(AuthGateway.token("u3", Duration.ofMinutes(6), "tenant", "acme", "roles", List.of("admin"))));
            c.send(auth(AuthGateway.token("u3", Duration.ofMinutes(6), "tenant", "acme", "roles", List.of())));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !c.frames("closed", "audit").isEmpty());
            assertThat(c.frames("closed", "audit").get(0).get("cause").asText()).isEqualTo("revoked");
            assertThat(c.frames("closed", "items")).isEmpty();

            String globex = AuthGateway.token("u3", Duration.ofMinutes(6), "tenant", "globex");
            c.send(auth(globex));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !c.frames("closed", "items").isEmpty());
            assertThat(c.frames("closed", "items").get(0).get("cause").asText()).isEqualTo("revoked");
            assertThat(c.frames("error", null)).isEmpty();

            // the window no rule change touched is still live, and the revoked one may be asked
            // again under the new token, which shows only its tenant
            var put = gw.http("PUT", "/v1/tables/open/rows/o1", "{\"id\":\"o1\"}", globex);
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> c.replica("open").rows().stream()
                            .anyMatch(r -> r.get("id").asText().equals("o1")));
            assertThat(c.frames("closed", "open")).isEmpty();
            c.send(subscribe("items", null));
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("items").readies() == 2);
            assertThat(c.replica("items").rows()).isEqualTo(truth(globex));
        }
    }

    @Test
    void anExpiredTokenClosesWith4001AndAFreshOneResumesWithoutReset() throws Exception {
        WsClient first = gw.ws(token("u1", "acme", Duration.ofSeconds(3)));
        first.send(subscribe("s", null));
        await().atMost(Duration.ofSeconds(5)).until(() -> first.replica("s").readies() == 1);
        assertThat(first.closed.get(15, TimeUnit.SECONDS)).isEqualTo(4001);
        Replica held = first.replica("s").copy();
        String fresh = token("u1", "acme", Duration.ofMinutes(5));
        put(fresh, "a3", "acme", 50);
        put(fresh, "a9", "acme", -1);
        put(token("u2", "globex", Duration.ofMinutes(1)), "g9", "globex", -2);
        try (WsClient second = gw.ws(fresh)) {
            second.replicas.put("s", held);
            second.send(subscribe("s", held.lastEid()));
            await().atMost(Duration.ofSeconds(5)).until(() -> held.resumedReadies() == 1);
            assertThat(held.resetCauses()).containsExactly("subscribe");
            assertThat(held.violations()).isEmpty();
            assertThat(held.rows()).isEqualTo(truth(fresh));
        }
    }

    @Test
    void anSseStreamEndsWhenItsTokenExpiresAndResumesWithAFreshOne() throws Exception {
        String path = "/v1/live/items?order=n&limit=10&access_token=";
        SseClient first = SseClient.open(gw.port, path + token("u1", "acme", Duration.ofSeconds(3)), null, null);
        assertThat(first.status).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> first.replica.readies() == 1);
        assertThat(first.ended.await(15, TimeUnit.SECONDS))
                .as("the stream ends at expiry")
                .isTrue();
        Replica held = first.replica.copy();
        String fresh = token("u1", "acme", Duration.ofMinutes(5));
        put(fresh, "a4", "acme", 60);
        try (SseClient second = SseClient.open(gw.port, path + fresh, held.lastEid(), held)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> held.resumedReadies() == 1);
            assertThat(held.resetCauses()).containsExactly("subscribe");
            assertThat(held.rows()).isEqualTo(truth(fresh));
        }
    }

    @Test
    void aConnectionThatNeverAuthenticatesIsClosedAfterTenSeconds() throws Exception {
        try (WsClient c = gw.ws(null)) {
            assertThat(c.closed.get(20, TimeUnit.SECONDS)).isEqualTo(1008);
        }
    }
}
