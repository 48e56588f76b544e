package dev.livequery.redis.backend;

import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;

import dev.livequery.core.LiveQueryException;
import dev.livequery.redis.backend.Attachments.PendingAck;
import io.micrometer.core.instrument.Timer;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The control requests waiting for their shard's answer, by request id. The delivery reader
 * completes a request's future with its ack, or with {@code not_owner} when it repairs the
 * request's shard; {@link #expireUnanswered} fails one that no answer will ever reach. An
 * attach's request leaves when its future completes, a reanchor's when its caller stops waiting.
 * Thread-safe (a concurrent map), with no lock of its own. Every request is put here before it
 * is sent (an attach under the locks {@link Attachments#attach} holds), so its ack never arrives
 * to find it missing.
 */
final class PendingAcks {
    /**
     * A request not answered this long never will be (its shard crashed or restarted with it
     * unread, or its control stream was deleted): it is given up ({@link #expireUnanswered}).
     * Twice the ack timeout, so every waiter has given up on its own first.
     */
    static final long GIVE_UP_NANOS = 2 * Attachments.ACK_TIMEOUT_NANOS;

    private final Map<String, PendingAck> acks = new ConcurrentHashMap<>();
    private final Timer controlRtt;

    /** {@code controlRtt} times the answered attaches. */
    PendingAcks(Timer controlRtt) {
        this.controlRtt = controlRtt;
    }

    /** An attach's request {@code req}: it leaves when its future completes; answered, its round trip is timed. */
    void attach(String req, PendingAck p) {
        acks.put(req, p);
        p.future().whenComplete((r, e) -> {
            acks.remove(req);
            if (e == null) {
                controlRtt.record(System.nanoTime() - p.sentNanos(), TimeUnit.NANOSECONDS);
            }
        });
    }

    /** Another request {@code req} (a reanchor): it stays until {@link #remove}d. */
    void put(String req, PendingAck p) {
        acks.put(req, p);
    }

    void remove(String req) {
        acks.remove(req);
    }

    PendingAck get(String req) {
        return acks.get(req);
    }

    Collection<PendingAck> all() {
        return acks.values();
    }

    /**
     * Gives up requests sent over {@link #GIVE_UP_NANOS} ago and still unanswered: their futures
     * fail, which takes them out of the waiting set. Left there, each would hold its subscription
     * (and through it the client's connection) for as long as this process runs, closed or not.
     */
    void expireUnanswered(long now) {
        for (PendingAck p : acks.values()) {
            if (now - p.sentNanos() > GIVE_UP_NANOS) {
                p.future()
                        .completeExceptionally(new TimeoutException(
                                "no answer from shard " + p.shard() + " in " + GIVE_UP_NANOS / 1_000_000_000L + " s"));
            }
        }
    }

    /** The answer {@code f} brings by {@code deadline}; none in time, or a failed request, is unavailable. */
    static String[] await(CompletableFuture<String[]> f, long deadline) throws LiveQueryException {
        try {
            return f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new LiveQueryException(UNAVAILABLE, "the owning shard did not answer in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LiveQueryException(UNAVAILABLE, "interrupted");
        } catch (ExecutionException e) {
            throw new LiveQueryException(UNAVAILABLE, e.getCause().getMessage());
        }
    }
}
