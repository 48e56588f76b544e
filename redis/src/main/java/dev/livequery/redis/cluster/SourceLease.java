package dev.livequery.redis.cluster;

import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import io.lettuce.core.ScriptOutputType;

/**
 * The lease that makes one process the streamer of a change data capture source (one per
 * replication slot): the same fenced lease script partitions use ({@link Membership}), on the
 * source's own key. The value is {@code <holder>:<fence>}; the fence grows with every new holder,
 * and the source's writes carry it, so a holder that lost the lease without noticing (paused,
 * cut off) has its writes refused rather than interleaved with its successor's.
 */
public final class SourceLease {
    private final Redis redis;
    private final String slot;

    public SourceLease(Redis redis, String slot) {
        this.redis = redis;
        this.slot = slot;
    }

    /**
     * Renews {@code held} (null: takes the lease if it is free). Returns the lease value held
     * afterwards, or null: someone else holds it, or ours expired or was taken.
     */
    public String renew(String holder, long ttlMs, String held) {
        return redis.eval(
                Membership.LEASE,
                ScriptOutputType.VALUE,
                new String[] {Keys.sourceOwner(slot), Keys.sourceFence(slot)},
                holder,
                Long.toString(ttlMs),
                held == null ? "" : held);
    }

    /** Gives the lease up (if still {@code held}) so another process takes over without waiting the TTL out. */
    public void release(String held) {
        redis.eval(Membership.RELEASE, ScriptOutputType.INTEGER, new String[] {Keys.sourceOwner(slot)}, held);
    }

    /** The fence of a lease value. */
    public static long fence(String lease) {
        return Long.parseLong(lease.substring(lease.lastIndexOf(':') + 1));
    }
}
