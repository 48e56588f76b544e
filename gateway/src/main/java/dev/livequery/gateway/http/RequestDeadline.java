package dev.livequery.gateway.http;

import dev.livequery.core.Guard;
import dev.livequery.core.LogPace;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http1.Http1ConnectionListener;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Time limits on reading a request: its headers must all arrive within {@code
 * livequery.header-timeout} of its request line, and its body within {@code livequery.body-timeout}
 * of its headers. Past either, the socket is closed without an answer (as nginx does at its {@code
 * client_header_timeout}; PROTOCOL §7 has no status for it, and the peer is still talking).
 *
 * <p>Why: Helidon 4.3.1 reads both with no time limit (its idle-connection check interrupts a
 * connection only while it waits for a request line, and the server never sets {@code
 * SO_TIMEOUT}). A client that trickled a byte every few minutes (slowloris) held its socket and
 * reader thread for ever, and enough of them filled {@code server.max-tcp-connections}, so nobody
 * else could connect. Browsers send headers in one packet, and rows are small.
 *
 * <p>How: Helidon tells an HTTP/1 receive listener ({@link #listener}) when a request line has been
 * read and when its headers have; the connection is filed here with its deadline from the first
 * until the second, or, for a request with a body, until the routing {@link #filter} sees its
 * handler done. A body the handler left unread (an error answered first) would then be read by
 * Helidon with no limit, so the filter reads it under the same deadline. One sweep closes whatever
 * is past its deadline; closing the socket ends the reader's blocked read, and the connection. A
 * connection that fails in between (the peer left) stays filed until its deadline, so what is
 * filed is bounded by the connections in that state within one timeout.
 */
public final class RequestDeadline implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RequestDeadline.class.getName());

    private final long headerNanos;
    private final long bodyNanos;
    private final LongSupplier clock;
    /** Connections reading a request's headers or body, with their deadline (nanos). */
    private final Map<ConnectionContext, Long> reading = new ConcurrentHashMap<>();
    /** Connections whose request has a body, by {@link #key}: how the filter finds its connection. */
    private final Map<String, ConnectionContext> withBody = new ConcurrentHashMap<>();

    private final AtomicLong closedInHeaders = new AtomicLong();
    private final AtomicLong closedInBody = new AtomicLong();
    private final LogPace logPace;
    private final ScheduledExecutorService sweeper;

    /** Deadlines of {@code header} and {@code body} (each > 0), swept a quarter of the shorter apart (≤ 1 s). */
    public static RequestDeadline start(Duration header, Duration body) {
        RequestDeadline d = new RequestDeadline(header, body, System::nanoTime, true);
        long period = Math.max(50, Math.min(1000, Math.min(header.toMillis(), body.toMillis()) / 4));
        d.sweeper.scheduleAtFixedRate(
                Guard.round(LOG, "the request-deadline sweep", d::sweep), period, period, TimeUnit.MILLISECONDS);
        return d;
    }

    RequestDeadline(Duration header, Duration body, LongSupplier clock, boolean sweeping) {
        this.headerNanos = header.toNanos();
        this.bodyNanos = body.toNanos();
        this.clock = clock;
        this.logPace = new LogPace(10_000_000_000L, clock);
        this.sweeper = sweeping
                ? Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "livequery-request-deadline");
                    t.setDaemon(true);
                    return t;
                })
                : null;
    }

    /** The HTTP/1 receive listener that files each request from its request line. */
    public Http1ConnectionListener listener() {
        return new Http1ConnectionListener() {
            @Override
            public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
                reading.put(ctx, clock.getAsLong() + headerNanos);
            }

            @Override
            public void headers(ConnectionContext ctx, Headers headers) {
                if (hasBody(headers)) {
                    withBody.put(key(ctx.socketId(), ctx.childSocketId()), ctx);
                    reading.put(ctx, clock.getAsLong() + bodyNanos);
                } else {
                    reading.remove(ctx);
                }
            }
        };
    }

    /** The routing filter that ends a request's body deadline when its handler is done (first in the chain). */
    public Filter filter() {
        return (FilterChain chain, RoutingRequest req, RoutingResponse res) -> {
            if (!hasBody(req.headers())) {
                chain.proceed();
                return;
            }
            String key = key(req.serverSocketId(), req.socketId());
            ConnectionContext ctx = withBody.get(key);
            try {
                chain.proceed();
                if (!req.content().consumed()) {
                    // Helidon would read the rest after us with no limit: read it here, within the deadline.
                    req.content().consume();
                }
            } catch (RuntimeException e) {
                if (ctx == null || reading.containsKey(ctx)) {
                    throw e;
                }
                // closed by the sweep while reading: the connection is ending, nothing to answer
            } finally {
                if (ctx != null) {
                    withBody.remove(key);
                    reading.remove(ctx);
                }
            }
        };
    }

    /** Connections closed past the header deadline so far. */
    public long timedOutInHeaders() {
        return closedInHeaders.get();
    }

    /** Connections closed past the body deadline so far. */
    public long timedOutInBody() {
        return closedInBody.get();
    }

    /** Closes every filed connection past its deadline. */
    void sweep() {
        long now = clock.getAsLong();
        for (Iterator<Map.Entry<ConnectionContext, Long>> it =
                        reading.entrySet().iterator();
                it.hasNext(); ) {
            Map.Entry<ConnectionContext, Long> e = it.next();
            if (now - e.getValue() < 0) {
                continue;
            }
            it.remove();
            ConnectionContext ctx = e.getKey();
            boolean body = withBody.remove(key(ctx.socketId(), ctx.childSocketId())) != null;
            (body ? closedInBody : closedInHeaders).incrementAndGet();
            ctx.serverSocket().close();
            long left = logPace.admit();
            if (left >= 0) {
                String what = body ? "body" : "headers";
                String key = body ? "livequery.body-timeout" : "livequery.header-timeout";
                Duration limit = Duration.ofNanos(body ? bodyNanos : headerNanos);
                LOG.warning(() -> "closed a connection from " + ctx.remotePeer().address() + " whose request " + what
                        + " did not arrive within " + key + " (" + limit + "; a slow client or a slowloris)"
                        + (left > 0 ? "; " + left + " more since the last such line" : ""));
            }
        }
    }

    /** Connections filed now (for tests). */
    int filed() {
        return reading.size();
    }

    private static boolean hasBody(Headers h) {
        if (h.contains(HeaderValues.TRANSFER_ENCODING_CHUNKED)) {
            return true;
        }
        return h.contains(HeaderNames.CONTENT_LENGTH) && !h.contains(HeaderValues.CONTENT_LENGTH_ZERO);
    }

    private static String key(String serverSocket, String socket) {
        return serverSocket + '/' + socket;
    }

    @Override
    public void close() {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
    }
}
