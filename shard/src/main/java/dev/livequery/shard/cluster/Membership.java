package dev.livequery.shard.cluster;

import dev.livequery.shard.store.Keys;
import dev.livequery.shard.store.Redis;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who is alive and who owns what. Shards and gateways call the same functions, so they agree on
 * owners whenever they agree on the member list; where they briefly disagree, the lease decides
 * (a shard serves a partition only while it holds its lease) and requests are re-routed.
 *
 * <p>Members are read from a set plus one heartbeat key each (no {@code SCAN}); a member whose
 * heartbeat expired is pruned from the set by whoever notices.
 */
public final class Membership {
    // KEYS: owner, fence. ARGV: shardId, ttlMs, current lease value or ''.
    // Renews our lease if we still hold it (same fence); takes it with a new fence if free.
    // Returns the lease value we now hold, or nil (someone else holds it, or ours was lost).
    private static final Redis.Script LEASE = Redis.Script.of("""
            local cur = redis.call('GET', KEYS[1])
            if cur then
              if cur == ARGV[3] then
                redis.call('PEXPIRE', KEYS[1], ARGV[2])
                return cur
              end
              return false
            end
            if ARGV[3] ~= '' then return false end
            local f = redis.call('INCR', KEYS[2])
            local v = ARGV[1] .. ':' .. f
            redis.call('SET', KEYS[1], v, 'PX', ARGV[2])
            return v
            """);

    private static final Redis.Script RELEASE = Redis.Script.of("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);

    private final Redis redis;

    public Membership(Redis redis) {
        this.redis = redis;
    }

    /** Registers or refreshes a shard's heartbeat. */
    public void heartbeat(String shardId, long ttlMs) {
        redis.cmd().set(Keys.shard(shardId), "1", SetArgs.Builder.px(ttlMs));
        redis.cmd().sadd(Keys.SHARDS, shardId);
    }

    /** Removes a shard on clean shutdown so its partitions move at once, not after the TTL. */
    public void leave(String shardId) {
        redis.cmd().del(Keys.shard(shardId));
        redis.cmd().srem(Keys.SHARDS, shardId);
    }

    /** Live shards, sorted; members whose heartbeat expired are pruned. */
    public List<String> live() {
        Set<String> members = redis.cmd().smembers(Keys.SHARDS);
        TreeSet<String> live = new TreeSet<>();
        for (String m : members) {
            if (redis.cmd().exists(Keys.shard(m)) > 0) {
                live.add(m);
            } else {
                redis.cmd().srem(Keys.SHARDS, m);
            }
        }
        return new ArrayList<>(live);
    }

    /**
     * Rendezvous (highest random weight) hashing: each partition goes to the live shard with the
     * highest score; when a shard leaves, only its partitions move, spread over the others.
     */
    public static String owner(int partition, List<String> live) {
        String best = null;
        long bestScore = Long.MIN_VALUE;
        for (String s : live) {
            long score = score(s, partition);
            if (best == null || score > bestScore || (score == bestScore && s.compareTo(best) < 0)) {
                best = s;
                bestScore = score;
            }
        }
        return best;
    }

    static long score(String shard, int partition) {
        long h = 0xcbf29ce484222325L; // FNV-1a, then a murmur finalizer: cheap and well spread
        for (byte b : shard.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h ^= partition * 0x9E3779B97F4A7C15L;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /**
     * Takes or renews the lease of a partition. {@code held} is the lease value we hold (null if
     * none). Returns the value we hold afterwards, or null: lost (ours expired or was taken) or busy.
     */
    public String lease(int p, String shardId, long ttlMs, String held) {
        return redis.eval(LEASE, ScriptOutputType.VALUE, new String[] {Keys.owner(p), Keys.fence(p)},
                shardId, Long.toString(ttlMs), held == null ? "" : held);
    }

    public void release(int p, String held) {
        redis.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {Keys.owner(p)}, held);
    }
}
