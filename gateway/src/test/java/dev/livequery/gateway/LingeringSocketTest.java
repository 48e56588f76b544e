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
 * close wait; a request whose headers or body trickle in loses its socket at {@code
 * livequery.header-timeout} or {@code livequery.body-timeout};
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
     * read ran into its 30 s timeout).
     */
    @Test
    void headersThatTrickleInLoseTheirSocketAtTheHeaderTimeout() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.header-timeout", "PT1S");
                Socket s = connect(gw.port)) {
            String answer = trickleUntilDropped(s, "GET /health HTTP/1.1\r\nHost: x\r\n", "X-Slow: a");
            assertThat(answer).as("no answer").isEmpty();
            assertThat(gw.http("GET", "/metrics", null).body())
                    .contains("livequery_request_timeouts_total{part=\"headers\"} 1.0")
                    .contains("livequery_request_timeouts_total{part=\"body\"} 0.0");
        }
    }

    /** The same for a body the handler reads (a write): it must arrive within {@code livequery.body-timeout}. */
    @Test
    void aBodyThatTricklesInLosesItsSocketAtTheBodyTimeout() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.body-timeout", "PT1S");
                Socket s = connect(gw.port)) {
            String answer = trickleUntilDropped(
                    s,
                    "PUT /v1/tables/t/rows/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 1000\r\n\r\n{\"a\":\"",
                    "x");
            assertThat(answer).as("no answer").isEmpty();
            assertThat(gw.http("GET", "/metrics", null).body())
                    .contains("livequery_request_timeouts_total{part=\"body\"} 1.0");
        }
    }

    /**
     * A request answered before its body was read (here 415: not sent as JSON): Helidon then reads
     * the rest to keep the connection, which took for ever for a body that trickles in; now that rest
     * has the body's deadline too. The answer still comes first.
     */
    @Test
    void aBodyLeftUnreadByItsAnswerStillHasTheBodyTimeout() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.body-timeout", "PT1S");
                Socket s = connect(gw.port)) {
            String answer = trickleUntilDropped(
                    s,
                    "PUT /v1/tables/t/rows/a HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                            + "Content-Length: 1000\r\n\r\n",
                    "x");
            assertThat(answer).startsWith("HTTP/1.1 415").contains("unsupported_media_type");
            assertThat(gw.http("GET", "/metrics", null).body())
                    .contains("livequery_request_timeouts_total{part=\"body\"} 1.0");
        }
    }

    /**
     * The deadlines run while a request is read only: a kept-alive socket may idle between requests,
     * after one with a body as after one without.
     */
    @Test
    void aKeptAliveSocketIdleBetweenRequestsIsNotTimedOut() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.header-timeout", "PT1S", "livequery.body-timeout", "PT1S");
                Socket s = connect(gw.port)) {
            String body = "{\"n\":1}";
            s.getOutputStream()
                    .write(("PUT /v1/tables/t/rows/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII))
                    .isEqualTo("HTTP/1.1 200");
            Thread.sleep(2_500); // the peer's pace: idle past both timeouts, twice
            s.getInputStream().skip(s.getInputStream().available());
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII))
                    .isEqualTo("HTTP/1.1 200");
            assertThat(gw.http("GET", "/metrics", null).body())
                    .contains("livequery_request_timeouts_total{part=\"headers\"} 0.0")
                    .contains("livequery_request_timeouts_total{part=\"body\"} 0.0");
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(30_000);
        return s;
    }

    /**
     * Sends {@code start}, then {@code trickle} a byte every 200 ms, round and round, until the
     * server drops the socket; returns what it answered meanwhile. Fails if that took under a second
     * (the timeouts the tests set) or if the read runs into the socket's 30 s timeout.
     */
    private static String trickleUntilDropped(Socket s, String start, String trickle) throws Exception {
        OutputStream out = s.getOutputStream();
        out.write(start.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        long t0 = System.nanoTime();
        AtomicBoolean stop = new AtomicBoolean();
        Thread talker = Thread.ofVirtual().start(() -> {
            byte[] bytes = trickle.getBytes(StandardCharsets.US_ASCII);
            try {
                for (int i = 0; !stop.get(); i = (i + 1) % bytes.length) {
                    out.write(bytes[i]);
                    out.flush();
                    Thread.sleep(200); // the peer's pace, not a synchronisation
                }
            } catch (IOException | InterruptedException e) {
                // dropped: done
            }
        });
        java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
        try {
            byte[] buf = new byte[4096];
            for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                answer.write(buf, 0, n);
            }
        } catch (SocketException e) {
            // reset: dropped
        } finally {
            stop.set(true);
            talker.join(5_000);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        return answer.toString(StandardCharsets.US_ASCII);
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
