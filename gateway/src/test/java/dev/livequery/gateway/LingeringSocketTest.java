package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.testkit.wire.RawWs;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Sockets the gateway is done with (docs/protocol.md, "Sockets and their limits"): a peer that
 * never answers our close frame, and keeps sending to look alive, loses its socket after the
 * close wait; a request whose headers trickle in loses its socket at {@code livequery.header-timeout};
 * and the listener accepts at most {@code server.max-tcp-connections} sockets.
 */
class LingeringSocketTest {

    @Test
    void aRefusedOriginThatNeverAnswersTheCloseLosesItsSocket() throws Exception {
        try (TestGateway gw = new TestGateway();
                RawWs ws = new RawWs(gw.port, "http://evil.example", 0)) {
            RawWs.Frame close = ws.read();
            assertThat(close.closeCode()).isEqualTo(1008);
            assertDroppedWhileTalking(ws);
        }
    }

    @Test
    void anIdleCloseThatIsNeverAnsweredLosesItsSocket() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.ws.idle-timeout", "PT1S");
                RawWs ws = new RawWs(gw.port, null, 0)) {
            RawWs.Frame close = ws.read();
            assertThat(close.opcode()).isEqualTo(8);
            assertThat(close.closeReason()).isEqualTo("peer silent too long");
            assertDroppedWhileTalking(ws);
        }
    }

    /**
     * The peer sends a message a second and never a close: the server must end the stream. Before
     * the fix the read below ran into its 30 s timeout (Helidon read on for ever).
     */
    private static void assertDroppedWhileTalking(RawWs ws) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread talker = Thread.ofVirtual().start(() -> {
            try {
                while (!stop.get()) {
                    ws.sendText("{\"action\":\"ping\"}");
                    Thread.sleep(1000); // the peer's pace, not a synchronisation
                }
            } catch (IOException | InterruptedException e) {
                // dropped: done
            }
        });
        try {
            ws.socket.setSoTimeout(30_000);
            RawWs.Frame next;
            try {
                next = ws.read();
            } catch (SocketException e) {
                next = null; // reset: dropped
            }
            assertThat(next).as("the end of the stream, not another frame").isNull();
        } finally {
            stop.set(true);
            talker.join(5_000);
        }
    }

    @Test
    void maxTcpConnectionsDefaultsToTwiceMaxConnectionsPlus1000() {
        try (TestGateway gw = new TestGateway("livequery.limits.max-connections", "5")) {
            assertThat(gw.gateway.maxTcpConnections()).isEqualTo(1010);
        }
        try (TestGateway gw =
                new TestGateway("livequery.limits.max-connections", "5", "server.max-tcp-connections", "7")) {
            assertThat(gw.gateway.maxTcpConnections()).isEqualTo(7);
        }
    }

    @Test
    void pastMaxTcpConnectionsTheListenerWaitsForASocketToClose() throws Exception {
        try (TestGateway gw = new TestGateway("server.max-tcp-connections", "2");
                Socket a = idle(gw.port);
                Socket b = idle(gw.port)) {
            CompletableFuture<HttpResponse<String>> health = CompletableFuture.supplyAsync(() -> {
                try {
                    return gw.http("GET", "/health", null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(() -> !health.isDone());
            a.close();
            assertThat(health.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    /**
     * A slowloris: the request line, then a header byte every 200 ms, never the blank line that ends
     * the headers. Before {@code livequery.header-timeout} Helidon read such headers for ever (the
     * read below ran into its 30 s timeout).
     */
    @Test
    void headersThatTrickleInLoseTheirSocketAtTheHeaderTimeout() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.header-timeout", "PT1S");
                Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", gw.port), 5000);
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long t0 = System.nanoTime();
            AtomicBoolean stop = new AtomicBoolean();
            Thread trickle = Thread.ofVirtual().start(() -> {
                byte[] header = "X-Slow: a".getBytes(StandardCharsets.US_ASCII);
                try {
                    for (int i = 0; !stop.get(); i = (i + 1) % header.length) {
                        out.write(header[i]);
                        out.flush();
                        Thread.sleep(200); // the peer's pace, not a synchronisation
                    }
                } catch (IOException | InterruptedException e) {
                    // dropped: done
                }
            });
            try {
                int next;
                try {
                    next = s.getInputStream().read();
                } catch (SocketException e) {
                    next = -1; // reset: dropped
                }
                assertThat(next).as("the end of the stream, no answer").isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            } finally {
                stop.set(true);
                trickle.join(5_000);
            }
            assertThat(gw.http("GET", "/metrics", null).body()).contains("livequery_header_timeouts_total 1.0");
        }
    }

    /** The deadline runs from a request line to its headers only: a kept-alive socket may idle between requests. */
    @Test
    void aKeptAliveSocketIdleBetweenRequestsIsNotTimedOut() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.header-timeout", "PT1S");
                Socket s = idle(gw.port)) {
            Thread.sleep(2_500); // the peer's pace: idle past the header timeout, twice
            s.getInputStream().skip(s.getInputStream().available());
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] status = s.getInputStream().readNBytes(12);
            assertThat(new String(status, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            assertThat(gw.http("GET", "/metrics", null).body()).contains("livequery_header_timeouts_total 0.0");
        }
    }

    /** A TCP connection the listener accepted (it answered one request) that then sends nothing. */
    private static Socket idle(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        s.getOutputStream()
                .write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(s.getInputStream().read()).as("answered").isGreaterThan(0);
        return s;
    }
}
