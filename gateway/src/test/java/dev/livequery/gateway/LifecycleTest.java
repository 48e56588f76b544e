package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.LocalBackend;
import dev.livequery.testkit.wire.RawWs;
import dev.livequery.testkit.wire.SseClient;
import dev.livequery.testkit.wire.WsClient;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Tests that own their gateway: slow consumers, overflow, connection limit, graceful shutdown. */
class LifecycleTest {

    @Test
    void stalledClientIsTornDownWithinTheDeadlineWhileOthersKeepReceiving() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.write-deadline", "PT1S")) {
            String pad = "p".repeat(4000);
            List<com.fasterxml.jackson.databind.node.ObjectNode> rows = new java.util.ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                rows.add(gw.row("r%04d".formatted(i), "n", i, "pad", pad));
            }
            gw.backend.batch("slow", rows, List.of());
            try (WsClient healthy = WsClient.connect(gw.port);
                    RawWs stalled = new RawWs(gw.port, null, 4096)) {
                healthy.send(WebSocketTest.sub("h", "{\"table\":\"slow\",\"order\":[{\"field\":\"n\"}],\"limit\":3}"));
                stalled.sendText(
                        "{\"action\":\"subscribe\",\"sub\":\"s\",\"query\":{\"table\":\"slow\",\"limit\":1000}}");
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> healthy.replica("h").readies() == 1);
                long t0 = System.nanoTime();
                Thread writer = rewriting(gw, "slow", pad);
                try {
                    awaitSlowConsumerTornDown(gw);
                    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
                    assertThat(seconds).isLessThan(15);
                    int seen = healthy.replica("h").frames().size();
                    await().atMost(Duration.ofSeconds(5))
                            .until(() -> healthy.replica("h").frames().size() > seen + 3);
                } finally {
                    writer.interrupt();
                    writer.join();
                }
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> healthy.replica("h").rows().equals(gw.truth("slow", "order=n&limit=3")));
                assertThat(healthy.closed).isNotDone();
            }
        }
    }

    /**
     * PROTOCOL §6 for SSE: a stream whose writes pass {@code livequery.write-deadline} is torn down
     * (the response ends: its last chunk, so EventSource reconnects and resumes by Last-Event-ID).
     */
    @Test
    void stalledSseStreamIsTornDownWithinTheDeadline() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.write-deadline", "PT1S")) {
            String pad = "p".repeat(4000);
            List<com.fasterxml.jackson.databind.node.ObjectNode> rows = new java.util.ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                rows.add(gw.row("r%04d".formatted(i), "n", i, "pad", pad));
            }
            gw.backend.batch("slowsse", rows, List.of());
            try (java.net.Socket stalled = new java.net.Socket()) {
                stalled.setReceiveBufferSize(4096);
                stalled.connect(new java.net.InetSocketAddress("127.0.0.1", gw.port), 5000);
                stalled.getOutputStream()
                        .write("GET /v1/live/slowsse?limit=1000 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                long t0 = System.nanoTime();
                Thread writer = rewriting(gw, "slowsse", pad);
                try {
                    awaitSlowConsumerTornDown(gw);
                    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0))
                            .isLessThan(15);
                } finally {
                    writer.interrupt();
                    writer.join();
                }
                assertThat(gw.http("GET", "/metrics", null).body())
                        .contains("livequery_connections{transport=\"sse\"} 0.0");
                // what was in flight drains, then the response ends: its last chunk (the socket may
                // stay for keep-alive), or the socket closes (an aborted write: a cut event, which
                // EventSource drops). A read timeout here means the stream was left open.
                stalled.setSoTimeout(10_000);
                java.io.InputStream in = stalled.getInputStream();
                byte[] buf = new byte[65536];
                String tail = "";
                for (int n; !tail.endsWith("\r\n0\r\n\r\n") && (n = in.read(buf)) > 0; ) {
                    tail = tail + new String(buf, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
                    tail = tail.substring(Math.max(0, tail.length() - 16));
                }
            }
        }
    }

    @Test
    void overflowResetsThenConverges() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.limits.max-queued", "4")) {
            for (int i = 0; i < 50; i++) {
                gw.put("ov", "r%02d".formatted(i), "n", i);
            }
            try (WsClient c = WsClient.connect(gw.port)) {
                c.send(WebSocketTest.sub("s", "{\"table\":\"ov\",\"order\":[{\"field\":\"n\"}],\"limit\":50}"));
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("s").readies() == 1);
                for (int round = 1; round <= 20 && !c.replica("s").has("reset", "overflow"); round++) {
                    List<com.fasterxml.jackson.databind.node.ObjectNode> rows = new java.util.ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        rows.add(gw.row("r%02d".formatted(i), "n", (i * 7 + round * 13) % 50, "round", round));
                    }
                    gw.backend.batch("ov", rows, List.of());
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("s").has("reset", "overflow"));
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("s").rows().equals(gw.truth("ov", "order=n&limit=50")));
                assertThat(gw.http("GET", "/metrics", null).body())
                        .contains("livequery_resets_total{cause=\"overflow\"}");
            }
        }
    }

    @Test
    void tooManyConnectionsIs4029() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.limits.max-connections", "1");
                WsClient first = WsClient.connect(gw.port)) {
            first.send("{\"action\":\"ping\"}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !first.frames("pong", null).isEmpty());
            WsClient second = WsClient.connect(gw.port);
            assertThat(second.closed.get(5, TimeUnit.SECONDS)).isEqualTo(4029);
            first.send("{\"action\":\"ping\"}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> first.frames("pong", null).size() == 2);
        }
    }

    @Test
    void gracefulShutdownSaysClosedShutdownAndCloses1001() throws Exception {
        TestGateway gw = new TestGateway("livequery.shutdown-grace", "PT3S");
        try {
            gw.put("sd", "a", "n", 1);
            WsClient ws = WsClient.connect(gw.port);
            ws.send(WebSocketTest.sub("x", "{\"table\":\"sd\",\"limit\":5}"));
            ws.send(WebSocketTest.sub("y", "{\"table\":\"sd\",\"limit\":1}"));
            SseClient sse = SseClient.open(gw.port, "/v1/live/sd?limit=5", null, null);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> ws.replica("x").readies() == 1
                            && ws.replica("y").readies() == 1
                            && sse.replica.readies() == 1);
            long t0 = System.nanoTime();
            gw.gateway.stop();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
            assertThat(ws.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1001);
            assertThat(ws.replica("x").has("closed", "shutdown")).isTrue();
            assertThat(ws.replica("y").has("closed", "shutdown")).isTrue();
            assertThat(sse.ended.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(sse.replica.has("closed", "shutdown")).isTrue();
        } finally {
            gw.close();
        }
    }

    @Test
    void aTakenPortIsAnErrorNotAStoppedServer() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("0.0.0.0"))) {
            Settings s = TestGateway.settings("server.port", Integer.toString(taken.getLocalPort()));
            try (LocalBackend backend = new LocalBackend(s.engineOptions())) {
                assertThatThrownBy(() -> Gateway.start(s, backend, null))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("did not start on port " + taken.getLocalPort());
            }
        }
    }

    /** Rewrites {@code table}'s 1,000 rows (with {@code pad}) in a loop until interrupted, on a thread of its own. */
    private static Thread rewriting(TestGateway gw, String table, String pad) {
        return Thread.ofVirtual().start(() -> {
            int i = 0;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    gw.put(table, "r%04d".formatted(i % 1000), "n", i % 1000, "pad", pad, "v", i);
                } catch (Exception e) {
                    return;
                }
                i++;
            }
        });
    }

    /** Until the gateway has torn down one connection as a slow consumer (§6), 20 s at most. */
    private static void awaitSlowConsumerTornDown(TestGateway gw) {
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> gw.http("GET", "/metrics", null)
                        .body()
                        .contains("livequery_teardowns_total{cause=\"slow_consumer\"} 1.0"));
    }
}
