package dev.livequery.gateway.http;

import dev.livequery.core.Guard;
import dev.livequery.core.LogPace;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
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
 * {@code livequery.header-timeout}: a connection whose request headers have not all arrived that long
 * after its request line is closed, without an answer (as nginx does at its {@code
 * client_header_timeout}; PROTOCOL §7 has no status for it, and the peer is still talking).
 *
 * <p>Why: Helidon 4.3.1 reads a request's headers with no time limit (its idle-connection check
 * interrupts a connection only while it waits for a request line, and the server never sets
 * {@code SO_TIMEOUT}). A client that trickles a header byte every few minutes (slowloris) held its
 * socket and reader thread for ever, and enough of them filled {@code server.max-tcp-connections}, so
 * nobody else could connect. Browsers send a request's headers in one packet; seconds are generous.
 *
 * <p>How: Helidon tells an HTTP/1 receive listener when a request line has been read and when its
 * headers have; between the two the connection is filed here with its deadline, and one sweep a
 * second closes those past it. Closing the socket ends the reader's blocked read, and with it the
 * connection. A connection that fails before its headers (the peer left) stays filed until its
 * deadline, so what is filed is bounded by the connections in that state within one timeout.
 */
public final class HeaderDeadline implements Http1ConnectionListener, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HeaderDeadline.class.getName());

    private final long timeoutNanos;
    private final LongSupplier clock;
    /** Connections between request line and headers, with their deadline (nanos). */
    private final Map<ConnectionContext, Long> reading = new ConcurrentHashMap<>();

    private final AtomicLong closed = new AtomicLong();
    private final LogPace logPace;
    private final ScheduledExecutorService sweeper;

    /** A deadline {@code timeout} after each request line, swept every second; {@code timeout} > 0. */
    public static HeaderDeadline start(Duration timeout) {
        HeaderDeadline d = new HeaderDeadline(timeout, System::nanoTime, true);
        long period = Math.max(50, Math.min(1000, timeout.toMillis() / 4));
        d.sweeper.scheduleAtFixedRate(
                Guard.round(LOG, "the header-timeout sweep", d::sweep), period, period, TimeUnit.MILLISECONDS);
        return d;
    }

    HeaderDeadline(Duration timeout, LongSupplier clock, boolean sweeping) {
        this.timeoutNanos = timeout.toNanos();
        this.clock = clock;
        this.logPace = new LogPace(10_000_000_000L, clock);
        this.sweeper = sweeping
                ? Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "livequery-header-timeout");
                    t.setDaemon(true);
                    return t;
                })
                : null;
    }

    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
        reading.put(ctx, clock.getAsLong() + timeoutNanos);
    }

    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
        reading.remove(ctx);
    }

    /** Sockets closed for their headers' deadline so far. */
    public long timedOut() {
        return closed.get();
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
            closed.incrementAndGet();
            ctx.serverSocket().close();
            long left = logPace.admit();
            if (left >= 0) {
                LOG.warning(() -> "closed a connection from " + ctx.remotePeer().address()
                        + " whose request headers did not arrive within livequery.header-timeout ("
                        + Duration.ofNanos(timeoutNanos) + "; a slow client or a slowloris)"
                        + (left > 0 ? "; " + left + " more since the last such line" : ""));
            }
        }
    }

    /** Connections filed now (for tests). */
    int reading() {
        return reading.size();
    }

    @Override
    public void close() {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
    }
}
