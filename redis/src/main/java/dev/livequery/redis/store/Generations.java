package dev.livequery.redis.store;

import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What tells a history from another: the dataset's epoch and each partition's generation (bumped
 * when the Redis node serving it may have lost acknowledged writes), and the Redis settings they
 * depend on. Engines fold both into their epoch, so no resume token splices against a lost history.
 */
final class Generations {
    private final Redis redis;

    Generations(Redis redis) {
        this.redis = redis;
    }

    /**
     * The dataset's epoch, created on first use. A Redis that lost its data (no AOF, a flushed
     * replica) has no epoch key, so it gets a new one and old resume tokens become {@code reset epoch}.
     */
    int epoch() {
        String e = redis.cmd().get(Keys.EPOCH);
        if (e == null) {
            redis.cmd().setnx(Keys.EPOCH, Integer.toString(new SecureRandom().nextInt() & Integer.MAX_VALUE));
            e = redis.cmd().get(Keys.EPOCH);
        }
        return Integer.parseInt(e);
    }

    // A missing epoch key counts as the old epoch: Redis lost everything, so a new epoch is due.
    private static final Redis.Script NEW_EPOCH = Redis.Script.of("""
            local cur = redis.call('GET', KEYS[1])
            if not cur or cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end
            return redis.call('GET', KEYS[1])
            """);

    /**
     * Starts a new epoch if the current one is still {@code old}: for when Redis is found to have
     * lost acknowledged writes (e.g. an AOF with {@code appendfsync everysec} after a crash), so
     * change numbers will be reused for different changes and no old token may resolve.
     */
    int newEpoch(int old) {
        String next = Integer.toString(new SecureRandom().nextInt() & Integer.MAX_VALUE);
        String now =
                redis.eval(NEW_EPOCH, ScriptOutputType.VALUE, new String[] {Keys.EPOCH}, Integer.toString(old), next);
        return Integer.parseInt(now);
    }

    // KEYS: the gen key of each partition (one node). ARGV: '1' if a restart of this node keeps
    // every acknowledged write (AOF with appendfsync always), else '0'. For each partition: if the
    // node serving it is not the one recorded (another run_id: a restart, or a replica promoted),
    // record it and, unless it is a restart that kept everything, bump the generation. A promotion
    // (the new master's replid2 is the old replid) always bumps: replication is asynchronous.
    // Returns the generation numbers.
    private static final Redis.Script GENERATIONS = Redis.Script.of("""
            local info = redis.call('INFO', 'server') .. redis.call('INFO', 'replication')
            local run = string.match(info, 'run_id:(%x+)')
            local replid = string.match(info, 'master_replid:(%x+)')
            local replid2 = string.match(info, 'master_replid2:(%x+)')
            local now = run .. ':' .. replid
            local out = {}
            for i = 1, #KEYS do
              local cur = redis.call('HGET', KEYS[i], 'id')
              if cur ~= now then
                redis.call('HSET', KEYS[i], 'id', now)
                if cur then
                  local oldRun, oldRepl = string.match(cur, '^(%x+):(%x+)$')
                  if oldRun ~= run and (ARGV[1] ~= '1' or oldRepl == replid2) then
                    redis.call('HINCRBY', KEYS[i], 'n', 1)
                  end
                end
              end
              out[i] = tonumber(redis.call('HGET', KEYS[i], 'n') or '0')
            end
            return out
            """);

    /**
     * The history generation of each partition, after recording the Redis node that serves it
     * now. A generation changes when the node changed in a way that may have lost acknowledged
     * writes: a restart without {@code appendfsync always}, or a replica promoted (writes are
     * acknowledged before they are replicated; there is no WAIT). Engines fold it into their epoch,
     * so resume tokens of the old history get {@code reset epoch}, never a splice against reused
     * change numbers.
     */
    List<Long> generations(List<Integer> ps, boolean durableRestarts) {
        String flag = durableRestarts ? "1" : "0";
        if (!redis.cluster()) {
            String[] keys = new String[ps.size()];
            for (int i = 0; i < ps.size(); i++) {
                keys[i] = Keys.gen(ps.get(i));
            }
            return redis.eval(GENERATIONS, ScriptOutputType.MULTI, keys, flag);
        }
        List<java.util.concurrent.CompletableFuture<List<Long>>> calls = new ArrayList<>(ps.size());
        for (int p : ps) {
            calls.add(redis.evalAsync(GENERATIONS, ScriptOutputType.MULTI, new String[] {Keys.gen(p)}, flag));
        }
        List<Long> out = new ArrayList<>(ps.size());
        for (var c : calls) {
            try {
                out.add(c.get(redis.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .get(0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RedisException("interrupted while reading generations");
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new RedisException("reading generations failed: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * True if the Redis configuration keeps every acknowledged write across a restart (AOF with
     * {@code appendfsync always}); false if not, or if CONFIG is not allowed (then any restart
     * starts a new generation: safe, at the price of resets).
     */
    boolean durableRestarts() {
        try {
            Map<String, String> c = redis.cmd().configGet("appendonly", "appendfsync");
            return "yes".equals(c.get("appendonly")) && "always".equals(c.get("appendfsync"));
        } catch (RedisException e) {
            return false;
        }
    }

    /** The eviction policy, or null if CONFIG is not allowed. */
    String evictionPolicy() {
        try {
            return redis.cmd().configGet("maxmemory-policy").get("maxmemory-policy");
        } catch (RedisException e) {
            return null;
        }
    }
}
