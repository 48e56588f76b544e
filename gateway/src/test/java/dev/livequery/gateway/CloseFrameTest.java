package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.wire.RawWs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * What a client that reads slowly (rather than not at all) sees when the gateway gives up on it:
 * a close frame with the code and reason of PROTOCOL §4, not a dropped socket.
 */
class CloseFrameTest {

    @Test
    void slowReaderGets4008() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.write-deadline", "PT1S")) {
            String pad = "p".repeat(4000);
            List<ObjectNode> rows = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                rows.add(gw.row("r%04d".formatted(i), "n", i, "pad", pad));
            }
            gw.backend.batch("slow", rows, List.of());
            try (RawWs ws = new RawWs(gw.port, null, 4096)) {
                ws.socket.setSoTimeout(60_000);
                ws.sendText("{\"action\":\"subscribe\",\"sub\":\"s\",\"query\":{\"table\":\"slow\",\"limit\":1000}}");
                RawWs.Frame last = untilClose(ws, 4096, 5);
                assertThat(last)
                        .as("a close frame before the end of the stream")
                        .isNotNull();
                assertThat(last.closeCode()).isEqualTo(4008);
                assertThat(last.closeReason()).isEqualTo("write deadline passed");
            }
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> gw.http("GET", "/metrics", null)
                            .body()
                            .contains("livequery_teardowns_total{cause=\"slow_consumer\"} 1.0"));
        }
    }

    @Test
    void replyFloodGets4008WithItsOwnReason() throws Exception {
        try (TestGateway gw = new TestGateway();
                RawWs ws = new RawWs(gw.port, null, 4096)) {
            ws.socket.setSoTimeout(60_000);
            AtomicBoolean stop = new AtomicBoolean();
            Thread pinger = Thread.ofVirtual().start(() -> {
                try {
                    while (!stop.get()) {
                        ws.sendText("{\"action\":\"ping\"}");
                    }
                } catch (java.io.IOException e) {
                    // the server closed the connection: done
                }
            });
            try {
                RawWs.Frame last = untilClose(ws, 1024, 5);
                assertThat(last)
                        .as("a close frame before the end of the stream")
                        .isNotNull();
                assertThat(last.closeCode()).isEqualTo(4008);
                assertThat(last.closeReason()).isEqualTo("too many replies waiting: read your socket");
            } finally {
                stop.set(true);
                pinger.join(10_000);
            }
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> gw.http("GET", "/metrics", null)
                            .body()
                            .contains("livequery_teardowns_total{cause=\"reply_flood\"} 1.0"));
        }
    }

    /** Reads slowly until a close frame (returned) or the end of the stream (null). */
    private static RawWs.Frame untilClose(RawWs ws, int chunk, long pauseMillis) throws Exception {
        while (true) {
            RawWs.Frame f;
            try {
                f = ws.readSlowly(chunk, pauseMillis);
            } catch (java.net.SocketException e) {
                return null; // reset: the socket was dropped without a close frame
            }
            if (f == null || f.opcode() == 8) {
                return f;
            }
        }
    }
}
