package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.wire.RawWs;
import dev.livequery.testkit.wire.WsClient;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** PROTOCOL §9 quotas per principal: connections (4029 / 429), subscriptions and shapes (too_many_subs), writes (429). */
class QuotaTest {
    static String tok(String sub) {
        return AuthGateway.token(sub, Duration.ofMinutes(5), "tenant", "acme");
    }

    /** A subscription whose shape is told apart by {@code k} (the window is not part of a shape). */
    static String sub(String sub, int k) {
        return "{\"action\":\"subscribe\",\"sub\":\"" + sub + "\",\"query\":{\"table\":\"open\",\"where\":{\"k\":" + k
                + "},\"limit\":5}}";
    }

    /**
     * Sockets opened without a token hold a connection slot before they are anyone: one address
     * may keep only {@code per-address.awaiting-auth} of them waiting; the next is closed 4029,
     * and a slot comes back as soon as one of them authenticates. A token at the upgrade does not
     * wait, so it does not count.
     */
    @Test
    void socketsAwaitingAuthAreBoundedPerAddress() throws Exception {
        try (LogCapture log = new LogCapture();
                AuthGateway gw = new AuthGateway("livequery.limits.per-address.awaiting-auth", "2");
                WsClient a = admitted(gw.ws(null)); // ping is answered before any auth
                WsClient b = admitted(gw.ws(null));
                WsClient withToken = admitted(gw.ws(tok("u1")))) {
            try (WsClient third = gw.ws(null)) {
                assertThat(third.closed.get(5, TimeUnit.SECONDS)).isEqualTo(4029);
            }
            // an operator behind an untrusted proxy sees why, and what to set
            assertThat(log.lines)
                    .anyMatch(l -> l.contains("livequery.limits.per-address.awaiting-auth")
                            && l.contains("livequery.trusted-proxies"));
            a.send("{\"action\":\"auth\",\"token\":\"" + tok("u2") + "\"}");
            a.send(sub("s", 1));
            await().atMost(Duration.ofSeconds(5)).until(() -> a.replica("s").readies() == 1);
            try (WsClient fourth = admitted(gw.ws(null))) {
                assertThat(fourth.closed).isNotDone();
            }
            assertThat(b.closed).isNotDone();
            assertThat(withToken.closed).isNotDone();
        }
    }

    /**
     * A peer that vanishes without a close frame gets neither {@code onClose} nor {@code onError}
     * from Helidon 4.3.1; what it held comes back when its connection ends anyway: at the
     * first-message deadline (10 s) for a socket that never authenticated, at the first keep-alive
     * that cannot be written for one that did. Before, both leases were held until the restart.
     */
    @Test
    void aPeerThatVanishesGivesBackWhatItHeld() throws Exception {
        try (AuthGateway gw = new AuthGateway(
                "livequery.limits.per-address.awaiting-auth", "1",
                "livequery.limits.per-principal.connections", "1",
                "livequery.ws.ping-interval", "PT1S")) {
            try (RawWs gone = new RawWs(gw.port, null, 0)) { // no token: the address's one waiting slot
                gone.sendText("{\"action\":\"ping\"}");
                assertThat(gone.read().opcode()).isEqualTo(1);
            } // closed without a close frame
            assertThat(admittedNow(gw, null)).as("the slot is still held").isFalse();
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> admittedNow(gw, null));

            // u1's one connection; it too waits for auth on the address's one slot, which the
            // last probe may hold until the gateway has seen its close: retry on 4029 only
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try (RawWs gone = new RawWs(gw.port, null, 0)) {
                    gone.sendText("{\"action\":\"auth\",\"token\":\"" + tok("u1") + "\"}");
                    gone.sendText("{\"action\":\"ping\"}");
                    RawWs.Frame f = gone.read();
                    if (f.opcode() == 8) {
                        assertThat(f.closeCode())
                                .as("close reason: %s", f.closeReason())
                                .isEqualTo(4029);
                        return false;
                    }
                    assertThat(f.opcode()).isEqualTo(1);
                    return true;
                } // closed without a close frame
            });
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> admittedNow(gw, tok("u1")));
        }
    }

    /** Whether a connection (closed properly afterwards, so it holds nothing) is admitted now. */
    static boolean admittedNow(AuthGateway gw, String token) {
        try (WsClient c = gw.ws(token)) {
            try {
                c.send("{\"action\":\"ping\"}");
            } catch (java.util.concurrent.CompletionException closedAlready) {
                return false; // 4029 came first
            }
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> c.closed.isDone() || !c.frames("pong", null).isEmpty());
            return !c.closed.isDone();
        }
    }

    @Test
    void perSubQuotasInJwtMode() throws Exception {
        try (AuthGateway gw = new AuthGateway(
                "livequery.limits.per-principal.connections",
                "1",
                "livequery.limits.per-principal.subscriptions",
                "3",
                "livequery.limits.per-principal.shapes",
                "2",
                "livequery.limits.per-principal.writes-per-second",
                "1")) {
            WsClient first = admitted(gw.ws(tok("u1")));
            try (WsClient second = gw.ws(tok("u1"));
                    WsClient other = gw.ws(tok("u2"))) {
                assertThat(second.closed.get(5, TimeUnit.SECONDS)).isEqualTo(4029);
                assertThat(gw.http("GET", "/v1/live/open?limit=5", null, tok("u1"))
                                .statusCode())
                        .isEqualTo(429);
                other.send(sub("o", 5));
                await().atMost(Duration.ofSeconds(5))
                        .failFast(() -> !other.frames("error", null).isEmpty() || other.closed.isDone())
                        .until(() -> other.replica("o").readies() == 1);

                first.send(sub("a", 5));
                first.send(sub("b", 6));
                first.send(sub("c", 7)); // a third shape
                first.send(sub("d", 5)); // the shape of a (another window): allowed by shapes
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> first.frames("error", null).size() == 1
                                && first.replica("d").readies() == 1);
                JsonNode err = first.frames("error", "c").get(0);
                assertThat(err.get("code").asText()).isEqualTo("too_many_subs");
                first.send(sub("e", 5)); // a fourth subscription
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> first.frames("error", "e").size() == 1);
                assertThat(first.frames("error", "e").get(0).get("code").asText())
                        .isEqualTo("too_many_subs");
                first.send("{\"action\":\"unsubscribe\",\"sub\":\"b\"}");
                first.send(sub("c", 7));
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> first.replica("c").readies() == 1);
            }
            first.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                try (WsClient again = gw.ws(tok("u1"))) {
                    again.send("{\"action\":\"ping\"}");
                    await().atMost(Duration.ofSeconds(2))
                            .until(() -> again.closed.isDone()
                                    || !again.frames("pong", null).isEmpty());
                    return !again.closed.isDone();
                }
            });
            // writes: one per second; the second in the same second is 429 rate_limited
            String t = tok("w");
            assertThat(gw.http("PUT", "/v1/tables/open/rows/x", "{\"id\":\"x\"}", t)
                            .statusCode())
                    .isEqualTo(200);
            var r = gw.http("PUT", "/v1/tables/open/rows/x", "{\"id\":\"x\"}", t);
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(Json.MAPPER.readTree(r.body()).at("/error/code").asText())
                    .isEqualTo("rate_limited");
            assertThat(gw.http("PUT", "/v1/tables/open/rows/y", "{\"id\":\"y\"}", tok("w2"))
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void noneModeChargesTheClientAddressAndBelievesOnlyTrustedProxies() throws Exception {
        try (AuthGateway trusting = new AuthGateway(
                        "livequery.auth.mode",
                        "none",
                        "livequery.limits.per-principal.connections",
                        "1",
                        "livequery.trusted-proxies",
                        "127.0.0.1");
                AuthGateway plain = new AuthGateway(
                        "livequery.auth.mode", "none", "livequery.limits.per-principal.connections", "1")) {
            try (WsClient a = admitted(ws(trusting, "203.0.113.1"));
                    WsClient b = ws(trusting, "203.0.113.2");
                    WsClient c = ws(trusting, "203.0.113.1")) {
                assertThat(c.closed.get(5, TimeUnit.SECONDS)).isEqualTo(4029);
                a.send("{\"action\":\"ping\"}");
                b.send("{\"action\":\"ping\"}");
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> a.frames("pong", null).size() == 2 // one was admitted's
                                && b.frames("pong", null).size() == 1);
            }
            try (WsClient a = admitted(ws(plain, "203.0.113.1"));
                    WsClient b = ws(plain, "203.0.113.2")) {
                // X-Forwarded-For from an untrusted peer is ignored: both are 127.0.0.1
                assertThat(b.closed.get(5, TimeUnit.SECONDS)).isEqualTo(4029);
            }
        }
    }

    /**
     * {@code c} once the gateway has counted it: the handshake's reply can reach the client before
     * the server's open handler runs, so a connection opened next could be counted first and take
     * the quota (which of two racing connections is refused is the server's to pick). A pong means
     * the open handler ran: commands are read after it.
     */
    static WsClient admitted(WsClient c) {
        c.send("{\"action\":\"ping\"}");
        await().atMost(Duration.ofSeconds(5))
                .failFast(c.closed::isDone)
                .until(() -> !c.frames("pong", null).isEmpty());
        return c;
    }

    static WsClient ws(AuthGateway gw, String forwardedFor) {
        WsClient c = new WsClient();
        c.ws = WsClient.HTTP
                .newWebSocketBuilder()
                .header("X-Forwarded-For", forwardedFor)
                .buildAsync(URI.create("ws://127.0.0.1:" + gw.port + "/v1/ws"), c)
                .join();
        return c;
    }
}
