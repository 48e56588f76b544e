package dev.livequery.redis.backend;

/**
 * When a subscription's re-attach may go after its owner refused one. A lasting refusal (a
 * partition its owner cannot load, a table it does not serve) was retried at every watcher tick,
 * each a whole-partition load on the shard: now the first retry waits {@link #MIN_NANOS}, each
 * refusal in a row doubles the wait up to {@link #MAX_NANOS}, and an ack or a new owner starts
 * afresh (the old owner's refusals say nothing of the new one). Not thread-safe: its
 * {@link RemoteSubscription}'s lock guards it.
 */
final class RefusalBackoff {
    /** The first re-attach after a refusal waits this long. */
    static final long MIN_NANOS = 250_000_000L;
    /** The longest wait after a refusal: a lasting one is tried twice a minute. */
    static final long MAX_NANOS = 30_000_000_000L;

    /** Refusals in a row since the last ack or new owner. */
    private int refusals;
    /** The wait before the re-attach after the last refusal; 0: none. */
    private long delayNanos;
    /** When that re-attach may go, on the watcher's clock: set at its first look after the refusal. */
    private long atNanos;

    private boolean scheduled;

    /** An ack, or a new owner: no wait. */
    void reset() {
        refusals = 0;
        delayNanos = 0;
    }

    /** A refusal: returns the wait before the next re-attach. */
    long refused() {
        delayNanos = Math.min(MIN_NANOS << Math.min(refusals, 20), MAX_NANOS);
        refusals++;
        scheduled = false;
        return delayNanos;
    }

    /**
     * True while the re-attach after the last refusal must wait. The wait counts from the first
     * look at {@code now} after the refusal, so it runs on the watcher's clock alone.
     */
    boolean waiting(long now) {
        if (delayNanos == 0) {
            return false;
        }
        if (!scheduled) {
            scheduled = true;
            atNanos = now + delayNanos;
        }
        return now - atNanos < 0;
    }
}
