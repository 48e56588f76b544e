package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.testkit.wire.RawWs;
import dev.livequery.testkit.wire.WsClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A connection the server closed (idle, here) still has its messages delivered until the peer's
 * Close arrives. Commands in that gap must be refused: a subscription made then would attach to a
 * writer that never runs again and leak its window and view.
 */
class ClosingConnectionTest {

    @Test
    void commandsAfterAnIdleCloseCreateNothing() throws Exception {
        try (TestGateway gw =
                new TestGateway("livequery.ws.idle-timeout", "PT1S", "livequery.limits.max-connections", "1")) {
            gw.put("t", "a", "n", 1);
            try (RawWs ws = new RawWs(gw.port, null, 0)) {
                ws.sendText("{\"action\":\"subscribe\",\"sub\":\"s1\",\"query\":{\"table\":\"t\",\"limit\":5}}");
                RawWs.Frame f;
                do {
                    f = ws.read();
                    assertThat(f).isNotNull();
                } while (f.opcode() != 8); // frames of s1, then the idle close
                assertThat(f.closeCode()).isEqualTo(1000);
                // Not answering the close yet: the server still reads.
                ws.sendText(
                        "{\"action\":\"subscribe\",\"sub\":\"s2\",\"query\":{\"table\":\"t\",\"where\":{\"n\":1},\"limit\":5}}");
                ws.sendText("{\"action\":\"subscribe\",\"sub\":\"s3\",\"query\":{\"table\":\"t\",\"limit\":3}}");
            }
            await().atMost(Duration.ofSeconds(10))
                    .during(Duration.ofSeconds(1))
                    .until(() -> gw.backend.gauges().get("subscriptions") == 0
                            && gw.backend.gauges().get("views") == 0);
            assertThat(gw.http("GET", "/metrics", null).body()).contains("livequery_gateway_subscriptions 0.0");
            // its connection permit was given back exactly once: one connection fits again, two do not
            try (WsClient a = WsClient.connect(gw.port)) {
                a.send("{\"action\":\"ping\"}");
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> !a.frames("pong", null).isEmpty());
                WsClient b = WsClient.connect(gw.port);
                assertThat(b.closed.get(5, java.util.concurrent.TimeUnit.SECONDS))
                        .isEqualTo(4029);
            }
        }
    }
}
