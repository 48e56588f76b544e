package dev.livequery.redis.store;

import dev.livequery.core.Idempotency;
import dev.livequery.core.LiveQueryException;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.List;

/**
 * Idempotency keys outside the write script: the claim that binds a key to one request whatever
 * the table (its result lives in the table's partition, which a key for another table cannot
 * see), and the read of a remembered result for writes that must read before they write. Every
 * key here has the remember TTL, so Redis memory for them is bounded by the write rate times it.
 */
final class IdempotencyKeys {
    private final Redis redis;
    private final long rememberMs;

    IdempotencyKeys(Redis redis, long rememberMs) {
        this.redis = redis;
        this.rememberMs = rememberMs;
    }

    // KEYS: a key's claim. ARGV: digest, TTL (ms). Claims a free key; answers the digest it holds.
    private static final Redis.Script CLAIM = Redis.Script.of("""
            local cur = redis.call('GET', KEYS[1])
            if cur then return cur end
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return ARGV[1]
            """);

    // KEYS: a key's claim. ARGV: digest. Frees it if it is still that digest's.
    private static final Redis.Script RELEASE = Redis.Script.of("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
            return 0
            """);

    /**
     * Claims {@code idem}'s key for its request before the write, for the remember time; a key
     * already claimed for another request is IDEMPOTENCY_KEY_REUSED, whichever table it was for.
     */
    void claim(RowStore.IdempotencyKey idem) throws LiveQueryException {
        String held;
        try {
            held = redis.eval(
                    CLAIM,
                    ScriptOutputType.VALUE,
                    new String[] {Keys.idempotencyClaim(idem.key())},
                    idem.digest(),
                    Long.toString(rememberMs));
        } catch (RedisException e) {
            throw RowStore.unavailable(e);
        }
        if (!idem.digest().equals(held)) {
            throw Idempotency.reused();
        }
    }

    /** Frees a claim whose write was refused (it changed nothing), so another request may use the key. */
    void release(RowStore.IdempotencyKey idem) {
        try {
            redis.eval(
                    RELEASE, ScriptOutputType.INTEGER, new String[] {Keys.idempotencyClaim(idem.key())}, idem.digest());
        } catch (RedisException e) {
            // it expires with the remember time anyway
        }
    }

    /**
     * The versions remembered under {@code idem}, or null if none: for writes that read before
     * they write (CheckedWrites), whose retry must answer the first result before its checks run
     * on rows the first attempt already changed. The write script checks again, atomically.
     */
    List<Long> remembered(String table, RowStore.IdempotencyKey idem) throws LiveQueryException {
        String done;
        try {
            done = redis.cmd().get(Keys.idempotency(Keys.partition(table), table, idem.key()));
        } catch (RedisException e) {
            throw RowStore.unavailable(e);
        }
        if (done == null) {
            return null;
        }
        int bar = done.indexOf('|'); // -1: remembered by an older gateway, without a digest
        if (bar >= 0 && !done.substring(0, bar).equals(idem.digest())) {
            throw Idempotency.reused();
        }
        List<Long> out = new ArrayList<>();
        for (String v : done.substring(bar + 1).split(",")) {
            out.add(Long.parseLong(v));
        }
        return out;
    }
}
