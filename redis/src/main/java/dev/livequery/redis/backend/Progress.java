package dev.livequery.redis.backend;

import dev.livequery.redis.store.RowStore;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Is the owner of each partition keeping up with its change stream? The gateway's end-to-end
 * progress check, as bookkeeping without Redis calls (the watcher feeds it, the delivery reader
 * and the stale check read it).
 *
 * <p>The watcher reads the head (newest entry id) of the change stream of every partition that
 * has attachments here, over its own link, and {@link #observe}s it: "at local time t the stream
 * ended at h". Ticks from the owner report the id it has applied ({@link #applied}); an
 * observation is resolved once the owner reports applied ≥ h. One that stays unresolved for
 * {@link #OVERDUE_NANOS} makes the partition {@link #overdue}: its windows are told
 * {@code status stale}, although its shard's ticks still arrive (a shard whose Redis link is slow
 * or whose tail is stuck ticks on while its windows fall behind).
 *
 * <p>Never a false alarm in normal operation: under steady writes the head always runs ahead of
 * the last tick, so only the oldest unresolved observation is kept per partition (it is not
 * replaced by newer heads until resolved); a healthy owner resolves it with its next tick, about a
 * second later. Memory is bounded by the partitions with attachments here: one observation and one
 * last-reported position each. A new owner starts from nothing (its first tick tells where it is),
 * and owners that send ticks without positions (older shards) are not checked.
 */
final class Progress {
    /**
     * An observation unresolved this long makes its partition overdue. A healthy owner reports
     * its position every 500 ms, so this is four ticks late.
     */
    static final long OVERDUE_NANOS = 2_000_000_000L;

    /** "At local time {@code seenNanos} the stream ended at {@code head}", waiting for {@code owner}. */
    private record Observation(String owner, long seenNanos, String head) {}

    /** The last position a shard reported for a partition. */
    private record Position(String shard, String id) {}

    private final Map<Integer, Observation> pending = new HashMap<>();
    private final Map<Integer, Position> reported = new HashMap<>();
    /** Shards whose ticks carry no positions: their partitions are not checked. */
    private final Set<String> unchecked = new HashSet<>();

    /**
     * The head of partition {@code p}'s stream as read at {@code now}, owned by shard
     * {@code owner}; {@code head} null: the stream is empty or could not be read (nothing to wait
     * for). Keeps the oldest unresolved observation; a new owner discards the old one.
     */
    synchronized void observe(int p, String owner, String head, long now) {
        Observation o = pending.get(p);
        if (o != null && !o.owner().equals(owner)) {
            pending.remove(p);
            o = null;
        }
        if (head == null || o != null || unchecked.contains(owner)) {
            return;
        }
        Position r = reported.get(p);
        if (r != null && r.shard().equals(owner) && RowStore.compareIds(r.id(), head) >= 0) {
            return; // applied already
        }
        pending.put(p, new Observation(owner, now, head));
    }

    /** A tick of {@code shard}: the last id it applied per partition, or null from an older shard. */
    synchronized void applied(String shard, Map<Integer, String> positions) {
        if (positions == null) {
            if (unchecked.add(shard)) {
                pending.values().removeIf(o -> o.owner().equals(shard));
            }
            return;
        }
        unchecked.remove(shard);
        positions.forEach((p, id) -> {
            reported.put(p, new Position(shard, id));
            Observation o = pending.get(p);
            if (o != null && o.owner().equals(shard) && RowStore.compareIds(id, o.head()) >= 0) {
                pending.remove(p);
            }
        });
    }

    /** True if partition {@code p} has an observation unresolved for over {@link #OVERDUE_NANOS}. */
    synchronized boolean overdue(int p, long now) {
        Observation o = pending.get(p);
        return o != null && now - o.seenNanos() > OVERDUE_NANOS;
    }

    /** True if partition {@code p} has an unresolved observation made at or before {@code nanos}. */
    synchronized boolean waitingSince(int p, long nanos) {
        Observation o = pending.get(p);
        return o != null && o.seenNanos() - nanos <= 0;
    }

    /** The overdue partitions now, each with its owner and the head it has not reported applying. */
    synchronized Map<Integer, String> overdue(long now) {
        Map<Integer, String> out = new HashMap<>();
        pending.forEach((p, o) -> {
            if (now - o.seenNanos() > OVERDUE_NANOS) {
                Position r = reported.get(p);
                out.put(
                        p,
                        o.owner() + " (not past " + o.head() + " for " + (now - o.seenNanos()) / 1_000_000
                                + " ms; last reported " + (r == null ? "nothing" : r.id() + " by " + r.shard()) + ")");
            }
        });
        return out;
    }

    /**
     * The partitions with attachments here and their owners now: forgets the others, and the
     * observations made under another owner (a move starts afresh: the new owner's first tick
     * tells where it is).
     */
    synchronized void retain(Map<Integer, String> owners) {
        pending.entrySet().removeIf(e -> !e.getValue().owner().equals(owners.get(e.getKey())));
        reported.keySet().retainAll(owners.keySet());
    }
}
