package dev.livequery.gateway.delivery;

import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.core.Guard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Every open connection of this gateway: the connection limit, the write-deadline and idle
 * watchdog, and graceful shutdown.
 *
 * <p>The watchdog is one platform thread ticking a few times per deadline. It only reads two
 * volatile longs per connection and, for a stuck one, interrupts its writer, so it stays cheap with
 * many connections and can never itself be blocked by a peer.
 */
public final class Connections implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Connections.class.getName());

    /** How long a WebSocket peer has to answer our close frame with its own (RFC 6455 §5.5.1). */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final Set<Outbound> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ws = new AtomicInteger();
    private final AtomicInteger sse = new AtomicInteger();
    private final AtomicInteger admitted = new AtomicInteger();
    private final int max;
    private final Duration deadline;
    private final ScheduledExecutorService watchdog;
    private volatile DeliveryMetrics metrics;
    private volatile boolean draining;

    public Connections(int maxConnections, Duration writeDeadline) {
        this.max = maxConnections;
        this.deadline = writeDeadline;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "livequery-watchdog");
            t.setDaemon(true);
            return t;
        });
        long tick = Math.max(20, Math.min(1000, writeDeadline.toMillis() / 5));
        // Guarded: a round that throws (even an Error) must not cancel the schedule for every connection.
        watchdog.scheduleAtFixedRate(
                Guard.round(LOG, "the connection watchdog's round", this::check), tick, tick, TimeUnit.MILLISECONDS);
    }

    public void metrics(DeliveryMetrics m) {
        this.metrics = m;
    }

    DeliveryMetrics metrics() {
        return metrics;
    }

    /**
     * Takes a connection permit; false when over the limit or draining. Every true must be paired
     * with {@link #release()}, or with {@link #outbound} whose end releases it.
     */
    public boolean admit() {
        if (draining) {
            return false;
        }
        if (admitted.incrementAndGet() > max) {
            admitted.decrementAndGet();
            return false;
        }
        return true;
    }

    public void release() {
        admitted.decrementAndGet();
    }

    public boolean draining() {
        return draining;
    }

    /**
     * A WebSocket peer has {@link #CLOSE_WAIT} to answer our close frame; then {@code abort} runs
     * (it drops the socket unless the peer closed meanwhile). Helidon reads a socket until the
     * peer's close arrives, so a peer that never answers, and pings to look alive, kept its socket
     * for ever, counted by no limit of ours.
     */
    public void closeSent(Runnable abort) {
        try {
            watchdog.schedule(
                    Guard.once(LOG, "dropping a socket whose peer did not close", abort),
                    CLOSE_WAIT.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping: the server closes every socket anyway
        }
    }

    /** An outbound path for an admitted connection; its end releases the permit. */
    public Outbound outbound(Transport t, String peer, Duration keepAlive, Duration idle) {
        return new Outbound(this, t, peer, keepAlive, idle);
    }

    void opened(Outbound o, Transport.Kind kind) {
        open.add(o);
        (kind == Transport.Kind.WS ? ws : sse).incrementAndGet();
    }

    void closed(Outbound o, Transport.Kind kind) {
        if (open.remove(o)) {
            (kind == Transport.Kind.WS ? ws : sse).decrementAndGet();
            admitted.decrementAndGet();
        }
    }

    /** Open connections of {@code kind}: a metrics gauge. */
    public int open(Transport.Kind kind) {
        return (kind == Transport.Kind.WS ? ws : sse).get();
    }

    public int subscriptions() {
        int n = 0;
        for (Outbound o : open) {
            n += o.subscriptions();
        }
        return n;
    }

    public long queued() {
        long n = 0;
        for (Outbound o : open) {
            n += o.queued();
        }
        return n;
    }

    /**
     * One watchdog round. A connection whose check fails does not keep the others from theirs; the
     * first failure is thrown at the end, for {@link Guard} to log.
     */
    private void check() {
        long now = System.nanoTime();
        long d = deadline.toNanos();
        Throwable failed = null;
        for (Outbound o : open) {
            try {
                o.check(now, d);
            } catch (Throwable t) {
                failed = failed == null ? t : failed;
            }
        }
        if (failed instanceof Error e) {
            throw e;
        } else if (failed instanceof RuntimeException e) {
            throw e;
        }
    }

    /**
     * Graceful shutdown: refuse new connections, tell every subscription {@code closed shutdown},
     * end every connection (WS 1001, SSE end of stream) and wait up to {@code grace}; whatever is
     * still writing then is aborted.
     */
    public void shutdown(Duration grace) {
        draining = true;
        List<Outbound> all = new ArrayList<>(open);
        for (Outbound o : all) {
            for (Slot s : new ArrayList<>(o.slots())) {
                s.end(FrameCodec.toJson(Frame.closed(Frame.Closed.Cause.SHUTDOWN), s.name));
            }
            o.closeAfterDrain(Close.SHUTDOWN);
        }
        long until = System.nanoTime() + grace.toNanos();
        for (Outbound o : all) {
            try {
                long left = until - System.nanoTime();
                if (left <= 0 || !o.awaitDone(Duration.ofNanos(left))) {
                    o.abort(Close.SHUTDOWN);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }
}
