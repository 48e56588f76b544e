package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.testkit.wire.WsClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What {@code auth} refreshes cost the gateway (docs/protocol.md, "WebSocket authentication"): one
 * expiry timer per connection however often it refreshes, and a connection that sends {@code auth}
 * faster than the pace is closed with 1008.
 */
class AuthRefreshBoundTest {

    @Test
    void refreshesKeepOneTimerPerConnection() throws Exception {
        try (AuthGateway gw = new AuthGateway()) {
            String first = AuthGateway.token("u1", Duration.ofHours(1));
            try (WsClient c = gw.ws(first)) {
                await().atMost(Duration.ofSeconds(5)).until(() -> gw.auth.timersWaiting() == 1);
                for (int i = 0; i < 5; i++) {
                    c.send("{\"action\":\"auth\",\"token\":\"" + first + "\"}");
                }
                // other expiries: each refresh replaces the timer, the cancelled one leaves the queue
                c.send("{\"action\":\"auth\",\"token\":\"" + AuthGateway.token("u1", Duration.ofHours(2)) + "\"}");
                c.send("{\"action\":\"auth\",\"token\":\"" + AuthGateway.token("u1", Duration.ofHours(3)) + "\"}");
                c.send("{\"action\":\"ping\"}");
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> !c.frames("pong", null).isEmpty());
                assertThat(c.frames("error", null)).isEmpty();
                assertThat(gw.auth.timersWaiting()).isEqualTo(1);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> gw.auth.timersWaiting() == 0);
        }
    }

    @Test
    void authFasterThanThePaceClosesWith1008() throws Exception {
        try (AuthGateway gw = new AuthGateway()) {
            String token = AuthGateway.token("u1", Duration.ofHours(1));
            try (WsClient c = gw.ws(token)) {
                for (int i = 0; i < 50 && !c.closed.isDone(); i++) {
                    try {
                        c.send("{\"action\":\"auth\",\"token\":\"" + token + "\"}");
                    } catch (java.util.concurrent.CompletionException e) {
                        break; // the server closed the socket under the send
                    }
                }
                assertThat(c.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1008);
            }
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> gw.http("GET", "/metrics", null, AuthGateway.token("ops", Duration.ofMinutes(1)))
                            .body()
                            .contains("livequery_teardowns_total{cause=\"auth_flood\"} 1.0"));
        }
    }
}
