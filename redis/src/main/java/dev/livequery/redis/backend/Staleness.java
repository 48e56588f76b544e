package dev.livequery.redis.backend;

import dev.livequery.core.Frame;
import java.util.function.Consumer;

/**
 * What one subscription's client was told of its window ({@code status stale}, or {@code live}
 * again), and when the window was last known to be current. The next good news after stale (an
 * ack, a batch applied, a tick from the attachment's sender) tells {@code live} before the frames
 * that bring it up to date, but only once the partition's owner does not lag behind its change
 * stream ({@link Progress}) and has applied what the stream held when stale was told: otherwise
 * a shard resuming from a pause is heard before it has caught up. Not thread-safe: its
 * {@link RemoteSubscription}'s lock guards it, and {@code tell} is called under that lock.
 */
final class Staleness {
    private final Attachments backend;
    private final int partition;
    private final Consumer<Frame> tell;
    private boolean told;
    /** When {@code stale} was told: {@code live} waits until the owner has applied what the stream held then. */
    private long toldNanos;
    /**
     * When the window was last known to be current. Re-attaching does not reset it: a
     * subscription whose repairs keep failing (lost again and again) is still told stale 2 s
     * after its last good news.
     */
    private long lastGoodNanos = System.nanoTime();

    /** For a window on {@code partition}; {@code tell} queues a status frame for the client. */
    Staleness(Attachments backend, int partition, Consumer<Frame> tell) {
        this.backend = backend;
        this.partition = partition;
        this.tell = tell;
    }

    /** Good news now: the window is current; tells {@code live} if it was told stale and its owner caught up. */
    void good() {
        lastGoodNanos = System.nanoTime();
        if (told && backend.caughtUp(partition, toldNanos)) {
            told = false;
            tell.accept(Frame.status(Frame.Status.State.LIVE));
        }
    }

    /** Tells {@code stale} at {@code now}, unless it was told already. */
    void stale(long now) {
        if (!told) {
            told = true;
            toldNanos = now;
            tell.accept(Frame.status(Frame.Status.State.STALE));
        }
    }

    /** True while the client was told stale and not live since. */
    boolean told() {
        return told;
    }

    long toldNanos() {
        return toldNanos;
    }

    long lastGoodNanos() {
        return lastGoodNanos;
    }
}
