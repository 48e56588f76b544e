package dev.livequery.redis.store;

import dev.livequery.core.LiveQueryException;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import java.util.List;

/**
 * The writes of a change data capture source: each stores a unit's rows (one table's share of a
 * source transaction, or of its snapshot) and the source's position in that table in one script,
 * so a crash leaves either both or neither (exactly once across failover).
 *
 * <p>Positions are per fed table ({@link Keys#sourcePosition}), in the table's partition: a
 * transaction touching tables of different partitions cannot be one script on a Redis Cluster, so
 * each table's part is applied once, alone, and a replay after failover skips the parts already
 * there ({@code lsn} at or above the transaction's commit LSN: {@link Outcome#DUPLICATE}).
 *
 * <p>Fencing: the position hash keeps the highest source-lease fence that wrote or claimed it,
 * and refuses a writer with a lower one ({@link Fenced}). A new holder {@link #claim}s every fed
 * table before it reads where to resume, so from then on its predecessor can write nothing, and
 * whatever the predecessor wrote before is in the positions it reads.
 */
public final class SourceWrites {
    /** Where the source stands in a table; {@code offset} is opaque here (the source's resume point). */
    public record Position(long lsn, String offset, long changes) {}

    /** What a write did. */
    public enum Outcome {
        APPLIED,
        DUPLICATE
    }

    /** A holder with a newer fence has claimed the table: this process no longer streams the source. */
    public static final class Fenced extends Exception {
        public Fenced(String message) {
            super(message);
        }
    }

    // KEYS: the write script's five, then the position hash. ARGV: the write script's, then
    // fence, commit LSN, offset, changes (at ARGV[9 + 4n]...). Fence and duplicate checks come
    // before anything else; the position is set once every row precondition passed, so it is
    // stored exactly when the rows are.
    private static final Redis.Script WRITE = WriteScript.script("""
            local pos = KEYS[6]
            local base = 9 + tonumber(ARGV[3]) * 4
            local fence = tonumber(ARGV[base])
            local seen = tonumber(redis.call('HGET', pos, 'fence') or '0')
            if seen > fence then return {'FENCED', tostring(seen)} end
            local at = tonumber(redis.call('HGET', pos, 'lsn') or '-1')
            if tonumber(ARGV[base + 1]) <= at then return {'DUP', tostring(at)} end
            """, "false", """
            redis.call('HSET', pos, 'fence', ARGV[base], 'lsn', ARGV[base + 1], 'offset', ARGV[base + 2])
            redis.call('HINCRBY', pos, 'changes', ARGV[base + 3])
            """);

    // KEYS: position. ARGV: fence. Raises the fence; answers the position.
    private static final Redis.Script CLAIM = Redis.Script.of("""
            local seen = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
            if seen > tonumber(ARGV[1]) then return {'FENCED', tostring(seen)} end
            redis.call('HSET', KEYS[1], 'fence', ARGV[1])
            local v = redis.call('HMGET', KEYS[1], 'lsn', 'offset', 'changes')
            return {'OK', v[1] or '', v[2] or '', v[3] or '0'}
            """);

    // KEYS: position. ARGV: fence, lsn, offset. Moves a table the source had nothing for forward:
    // every transaction up to lsn is applied to it, resume from offset.
    private static final Redis.Script ADVANCE = Redis.Script.of("""
            local seen = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
            if seen > tonumber(ARGV[1]) then return {'FENCED', tostring(seen)} end
            local at = tonumber(redis.call('HGET', KEYS[1], 'lsn') or '-1')
            if tonumber(ARGV[2]) >= at then
              redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'lsn', ARGV[2], 'offset', ARGV[3])
            end
            return {'OK'}
            """);

    // KEYS: position. ARGV: fence. Forgets where the source stood (a new slot, a new history: the
    // stored LSNs mean nothing in it); the change count and the fence stay.
    private static final Redis.Script RESET = Redis.Script.of("""
            local seen = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
            if seen > tonumber(ARGV[1]) then return {'FENCED', tostring(seen)} end
            redis.call('HSET', KEYS[1], 'fence', ARGV[1])
            redis.call('HDEL', KEYS[1], 'lsn', 'offset')
            return {'OK'}
            """);

    private final RowStore rows;
    private final Redis redis;
    private final String slot;

    /** {@code slot}: the source's replication slot, which names its positions. */
    public SourceWrites(Redis redis, RowStore rows, String slot) {
        this.redis = redis;
        this.rows = rows;
        this.slot = slot;
    }

    /**
     * Raises the table's fence to {@code fence} and returns where the source stands in it (null:
     * nothing applied yet, i.e. no snapshot of it).
     */
    public Position claim(String table, long fence) throws Fenced, LiveQueryException {
        List<Object> r = eval(CLAIM, new String[] {Keys.sourcePosition(slot, table)}, Long.toString(fence));
        fenced(table, r);
        String lsn = (String) r.get(1);
        return lsn.isEmpty()
                ? null
                : new Position(Long.parseLong(lsn), (String) r.get(2), Long.parseLong((String) r.get(3)));
    }

    /**
     * Applies {@code ops} to {@code table} and stores {@code lsn}/{@code offset} as the table's
     * position, adding {@code changes} to its count, atomically; a unit at or below the stored
     * position changes nothing. Row preconditions work as in {@link RowStore#write} (412/404).
     */
    public Outcome write(String table, List<RowStore.Op> ops, long fence, long lsn, String offset, long changes)
            throws Fenced, LiveQueryException {
        List<Object> r = eval(
                WRITE,
                WriteScript.keys(table, Keys.sourcePosition(slot, table)),
                rows.writes()
                        .args(
                                table,
                                ops,
                                "",
                                Long.toString(fence),
                                Long.toString(lsn),
                                offset,
                                Long.toString(changes)));
        fenced(table, r);
        if ("DUP".equals(r.get(0))) {
            return Outcome.DUPLICATE;
        }
        WriteScript.versions(table, ops, r, null);
        return Outcome.APPLIED;
    }

    /** Moves the table's position to {@code lsn}/{@code offset} unless it is further already. */
    public void advance(String table, long fence, long lsn, String offset) throws Fenced, LiveQueryException {
        fenced(
                table,
                eval(
                        ADVANCE,
                        new String[] {Keys.sourcePosition(slot, table)},
                        Long.toString(fence),
                        Long.toString(lsn),
                        offset));
    }

    /**
     * Forgets the table's position (keeping its change count), fenced as a write: the source takes
     * a new snapshot from a new slot, whose LSNs may be below the stored ones (a restored or
     * another cluster), so the snapshot must not be compared with them. Until the snapshot is
     * written {@link #claim} answers null: a successor snapshots too.
     */
    public void reset(String table, long fence) throws Fenced, LiveQueryException {
        fenced(table, eval(RESET, new String[] {Keys.sourcePosition(slot, table)}, Long.toString(fence)));
    }

    /** The table's rows, for turning source changes into checked ops. */
    public RowStore rows() {
        return rows;
    }

    private List<Object> eval(Redis.Script s, String[] keys, String... args) throws LiveQueryException {
        try {
            return redis.eval(s, ScriptOutputType.MULTI, keys, args);
        } catch (RedisException e) {
            throw RowStore.unavailable(e);
        }
    }

    private void fenced(String table, List<Object> r) throws Fenced {
        if ("FENCED".equals(r.get(0))) {
            throw new Fenced("source " + slot + ": table " + table + " was claimed by a newer lease holder (fence "
                    + r.get(1) + ")");
        }
    }
}
