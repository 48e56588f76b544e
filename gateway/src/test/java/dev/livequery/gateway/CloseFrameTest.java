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

    /**
     * Whether a slow reader sees the close frame depends on sizes, so the test fixes them: the
     * server's send buffer (16 KiB; Linux grows an unset one to megabytes), the client's receive
     * buffer (4 KiB) and its pace (at most 4 KiB per 5 ms, about 800 KB/s). A writer pass takes 64
     * frames of 16 KB, which at that pace is longer than the 1 s deadline; after it the writer has
     * 1 s (the close's grace) to finish the 64 KiB it is writing and send the close frame, which
     * this client reads in a fraction of that.
     */
    @Test
    void slowReaderGets4008() throws Exception {
        try (TestGateway gw = new TestGateway(
                "livequery.write-deadline", "PT1S", "server.connection-options.socket-send-buffer-size", "16384")) {
            String pad = "p".repeat(16_000);
            List<ObjectNode> rows = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                rows.add(gw.row("r%04d".formatted(i), "n", i, "pad", pad));
            }
            gw.backend.batch("slow", rows, List.of());
            try (RawWs ws = new RawWs(gw.port, null, 4096)) {
                ws.socket.setSoTimeout(60_000);
                ws.sendText("{\"action\":\"subscribe\",\"sub\":\"s\",\"query\":{\"table\":\"slow\",\"limit\":300}}");
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

    /**
     * The same sizes as above, at 1 KiB per 5 ms. Past {@link
     * dev.livequery.gateway.delivery.Connections#CLOSE_WAIT} the server drops the socket, and as
     * this client is still sending pings, the kernel resets it and discards the close frame with
     * whatever else was unread: an unbounded send buffer made that race. The pinger is a platform
     * thread: as a virtual thread that never blocks it held a carrier of a 2-core machine, the
     * server's reader held the other, and the writer never ran.
     */
    @Test
    void replyFloodGets4008WithItsOwnReason() throws Exception {
        try (TestGateway gw = new TestGateway("server.connection-options.socket-send-buffer-size", "16384");
                RawWs ws = new RawWs(gw.port, null, 4096)) {
            ws.socket.setSoTimeout(60_000);
            AtomicBoolean stop = new AtomicBoolean();
            Thread pinger = Thread.ofPlatform().daemon().start(() -> {
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
