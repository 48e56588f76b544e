package dev.livequery.shard.cluster;

import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import io.micrometer.core.instrument.Counter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The leases this shard holds, one per partition it owns: takes the partitions rendezvous gives
 * it, renews them, and gives up the others (all through {@link Membership}'s fenced lease
 * scripts). It knows nothing of engines: a partition it no longer holds is handed to
 * {@link Drop}, which unloads it. The map is live: the publisher reads each lease value it
 * fences a publish with from it, so a removal here stops the partition's frames at once.
 */
final class LeaseKeeper {
    private static final Logger LOG = Logger.getLogger(LeaseKeeper.class.getName());

    /** Told of a partition this shard no longer holds (called on the lease thread; must not block). */
    interface Drop {
        void drop(int p, String why);
    }

    private final String shardId;
    private final String holder;
    private final long ttlMs;
    private final Membership members;
    private final Counter failovers;
    private final Counter acquired;
    private final Map<Integer, String> leases = new ConcurrentHashMap<>();

    LeaseKeeper(String shardId, String holder, long ttlMs, Membership members, Counter failovers, Counter acquired) {
        this.shardId = shardId;
        this.holder = holder;
        this.ttlMs = ttlMs;
        this.members = members;
        this.failovers = failovers;
        this.acquired = acquired;
    }

    /** Partition to lease value held; read by the publisher for fencing. */
    Map<Integer, String> leases() {
        return leases;
    }

    boolean holds(int p) {
        return leases.containsKey(p);
    }

    /**
     * One round: partitions rendezvous gives another live shard are released; the others are
     * taken or renewed in one call. A lease that was held and is now lost (expired or taken while
     * this shard was paused or cut off) is removed at once.
     */
    void renew(List<String> live, Drop drop) {
        List<Integer> mine = new ArrayList<>();
        List<String> held = new ArrayList<>();
        List<String> moved = new ArrayList<>();
        List<Integer> lost = new ArrayList<>();
        for (int p = 0; p < Keys.PARTITIONS; p++) {
            String owner = Membership.owner(p, live);
            String h = leases.get(p);
            if (shardId.equals(owner)) {
                mine.add(p);
                held.add(h);
            } else if (h != null) {
                moved.add(p + "->" + owner);
                leases.remove(p);
                release(p, h);
                drop.drop(p, "moved");
            }
        }
        List<String> now = mine.isEmpty() ? List.of() : members.leaseAll(mine, holder, ttlMs, held);
        for (int i = 0; i < mine.size(); i++) {
            int p = mine.get(i);
            if (now.get(i) == null && held.get(i) != null) {
                lost.add(p);
                leases.remove(p);
                failovers.increment();
                drop.drop(p, "lease lost");
            } else if (now.get(i) != null && held.get(i) == null) {
                leases.put(p, now.get(i));
                acquired.increment();
            }
        }
        if (!moved.isEmpty()) {
            LOG.info(() -> "shard " + shardId + ": membership " + live + " moved " + moved.size()
                    + " partitions away (partition->new owner): " + moved);
        }
        if (!lost.isEmpty()) {
            LOG.warning(() -> "shard " + shardId + ": lost the lease of " + lost.size() + " partitions " + lost
                    + " (expired or taken while this shard was paused or cut off from Redis); dropped them,"
                    + " their subscribers re-attach elsewhere");
        }
    }

    /**
     * A fenced publish under {@code lease} was refused: forget that lease (not a newer one taken
     * meanwhile). True if it was still held, i.e. the partition must be dropped now.
     */
    boolean refused(int p, String lease) {
        if (leases.remove(p, lease)) {
            failovers.increment();
            return true;
        }
        return false;
    }

    /** On leaving: releases every lease so the partitions move without waiting for the TTL. */
    List<Integer> releaseAll() {
        List<Integer> out = new ArrayList<>();
        for (Integer p : List.copyOf(leases.keySet())) {
            String held = leases.remove(p);
            if (held != null) {
                release(p, held);
            }
            out.add(p);
        }
        return out;
    }

    private void release(int p, String held) {
        try {
            members.release(p, held);
        } catch (RuntimeException e) {
            // it expires anyway
        }
    }
}
