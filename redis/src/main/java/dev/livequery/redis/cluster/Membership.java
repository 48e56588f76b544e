package dev.livequery.redis.cluster;

import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Who is alive and who owns what. Shards and gateways call the same functions, so they agree on
 * owners whenever they agree on the member list; where they briefly disagree, the lease decides
 * (a shard serves a partition only while it holds its lease) and requests are re-routed.
 *
 * <p>Members are read from a set plus one heartbeat key each (no {@code SCAN}); a member whose
 * heartbeat expired is pruned from the set by whoever notices.
 */
public final class Membership {
    // KEYS: owner, fence. ARGV: holder (shard id/incarnation), ttlMs, current lease value or ''.
    // Renews our lease if we still hold it (same fence); takes it with a new fence if free.
    // A lease of this very holder that we do not know of (a renewal or take whose reply was lost)
    // is ours: recognised, not waited out. Returns the lease value we now hold, or nil (someone
    // else holds it, or ours was lost).
    static final Redis.Script LEASE = Redis.Script.of("""
            local cur = redis.call('GET', KEYS[1])
            if cur then
              if cur == ARGV[3] or (ARGV[3] == '' and string.sub(cur, 1, #ARGV[1] + 1) == ARGV[1] .. ':') then
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

    // The same for many partitions in one call (standalone Redis only: the keys span slots).
    // KEYS: owner1, fence1, owner2, fence2, ... ARGV: holder, ttlMs, held1, held2, ...
    private static final Redis.Script LEASE_ALL = Redis.Script.of("""
            local out = {}
            for i = 1, #KEYS / 2 do
              local owner, fence, held = KEYS[2*i - 1], KEYS[2*i], ARGV[2 + i]
              local cur = redis.call('GET', owner)
              local r = ''
              if cur then
                if cur == held or (held == '' and string.sub(cur, 1, #ARGV[1] + 1) == ARGV[1] .. ':') then
                  redis.call('PEXPIRE', owner, ARGV[2])
                  r = cur
                end
              elseif held == '' then
                r = ARGV[1] .. ':' .. redis.call('INCR', fence)
                redis.call('SET', owner, r, 'PX', ARGV[2])
              end
              out[i] = r
            end
            return out
            """);

    static final Redis.Script RELEASE = Redis.Script.of("""
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
                // Gone: its control stream goes too (a shard reads its stream from the end when it
                // starts, so nothing in it would ever be read; requests in it are re-sent elsewhere).
                redis.cmd().srem(Keys.SHARDS, m);
                redis.cmd().del(Keys.control(m));
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
     * Takes or renews the leases of many partitions. {@code held} are the lease values we hold
     * (null if none). Returns the values we hold afterwards, each null where lost (ours expired or
     * was taken) or busy. On standalone Redis one script call does them all (one
     * round trip, one AOF fsync per tick instead of one per partition); on a Cluster, one call each,
     * all sent before any reply is awaited: one after another, a lone shard's 256 renewals on a
     * loaded machine could take longer than the lease they renew.
     */
    public List<String> leaseAll(List<Integer> ps, String shardId, long ttlMs, List<String> held) {
        List<String> out = new ArrayList<>(ps.size());
        if (redis.cluster()) {
            List<CompletableFuture<String>> calls = new ArrayList<>(ps.size());
            for (int i = 0; i < ps.size(); i++) {
                calls.add(redis.evalAsync(
                        LEASE,
                        ScriptOutputType.VALUE,
                        new String[] {Keys.owner(ps.get(i)), Keys.fence(ps.get(i))},
                        shardId,
                        Long.toString(ttlMs),
                        held.get(i) == null ? "" : held.get(i)));
            }
            for (CompletableFuture<String> c : calls) {
                try {
                    out.add(c.get(redis.timeout().toMillis(), TimeUnit.MILLISECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RedisException("interrupted while renewing leases");
                } catch (ExecutionException | TimeoutException e) {
                    throw new RedisException("lease renewal failed: " + e.getMessage(), e);
                }
            }
            return out;
        }
        String[] keys = new String[ps.size() * 2];
        String[] args = new String[ps.size() + 2];
        args[0] = shardId;
        args[1] = Long.toString(ttlMs);
        for (int i = 0; i < ps.size(); i++) {
            keys[2 * i] = Keys.owner(ps.get(i));
            keys[2 * i + 1] = Keys.fence(ps.get(i));
            args[2 + i] = held.get(i) == null ? "" : held.get(i);
        }
        List<String> r = redis.eval(LEASE_ALL, ScriptOutputType.MULTI, keys, args);
        for (String v : r) {
            out.add(v == null || v.isEmpty() ? null : v);
        }
        return out;
    }

    public void release(int p, String held) {
        redis.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {Keys.owner(p)}, held);
    }
}
