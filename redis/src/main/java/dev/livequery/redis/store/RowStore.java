package dev.livequery.redis.store;

import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Idempotency;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Row;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rows, change counters and change streams in Redis. Every write is one Lua script that checks
 * its preconditions first and then, per row, INCRs the table counter (the version, which the
 * engine also uses as the change number), stores the row and XADDs the change with before- and
 * after-image — atomic, so a failed write changes nothing and the stream never has a gap.
 *
 * <p>Patch merges in Java, not Lua: Lua's cjson would re-encode numbers and nested values
 * (PROTOCOL §1 wants them returned as written). It reads the row, merges, and writes with an
 * internal If-Match on the version read, retrying when another writer came first.
 *
 * <p>The public face of the store over package-private parts: {@code WriteScript} (the write
 * script and its call), {@code IdempotencyKeys} (claims and remembered results outside the
 * script) and {@code Generations} (epoch and per-partition history generations); reads,
 * snapshots and change parsing are here.
 */
public final class RowStore {
    /**
     * One row write: {@code after == null} deletes. {@code ifMatch} is the version the row must
     * be at; {@code absent} requires that it does not exist (a checked write that read no row).
     * {@code json} is {@code after}'s text when the caller already has it ({@code Rows.checkSize}
     * made it), so a row is encoded once per write; null: the store encodes {@code after}.
     */
    public record Op(String id, ObjectNode after, Long ifMatch, boolean absent, String json) {
        public Op(String id, ObjectNode after, Long ifMatch, boolean absent) {
            this(id, after, ifMatch, absent, null);
        }

        public Op(String id, ObjectNode after, Long ifMatch) {
            this(id, after, ifMatch, false, null);
        }

        /** The text the store writes for {@code after} ("" for a delete). */
        public String text() {
            return after == null ? "" : json != null ? json : Json.text(after);
        }
    }

    /**
     * One change as the stream holds it. {@code rest}: how many changes of the same write follow it
     * in the stream (a write's changes are consecutive); a reader applies them as one step.
     */
    public record Change(
            String streamId,
            String table,
            String id,
            long version,
            long beforeVersion,
            ObjectNode before,
            ObjectNode after,
            int rest) {}

    /** A table's rows and counter as of one stream position. */
    public record TableState(String table, long seq, List<Row> rows) {}

    /**
     * A partition as of {@code lastId} (everything up to and including it is in the rows);
     * {@code added}: how many entries its stream had ever been given up to and including
     * {@code lastId} (-1: unknown, before Redis 7), for {@link #streamState}.
     */
    public record Snapshot(String lastId, long added, List<TableState> tables) {}

    // Lua: a stream's newest entry id ('0-0': none) and its entries-added (how many entries it
    // was ever given: XINFO STREAM, Redis 7; -1 when Redis does not say). XINFO without FULL
    // costs its first and last entries, whatever the stream's length.
    private static final String STREAM_INFO = """
            local function streamInfo(key)
              if redis.call('EXISTS', key) == 0 then return '0-0', 0 end
              local info = redis.call('XINFO', 'STREAM', key)
              local newest, n = '0-0', -1
              for i = 1, #info, 2 do
                if info[i] == 'entries-added' then
                  n = info[i + 1]
                elseif info[i] == 'last-entry' and info[i + 1] then
                  newest = info[i + 1][1]
                end
              end
              return newest, n
            end
            """;

    // KEYS: tables, changes (of one partition; the per-table keys share its hash tag).
    // Returns {lastStreamId, entriesAdded, table1, seq1, {id, val, ...}, table2, ...} read
    // atomically. The write script never deletes a stream's newest entry, so entriesAdded counts
    // the entries up to and including lastStreamId.
    private static final Redis.Script SNAPSHOT = Redis.Script.of(STREAM_INFO + """
            local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
            local _, added = streamInfo(KEYS[2])
            local out = {last[1] and last[1][1] or '0-0', added}
            local prefix = string.sub(KEYS[1], 1, string.len(KEYS[1]) - 6)
            for _, t in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              out[#out + 1] = t
              out[#out + 1] = redis.call('GET', prefix .. 'seq:' .. t) or '0'
              out[#out + 1] = redis.call('HGETALL', prefix .. 'rows:' .. t)
            end
            return out
            """);

    // KEYS: rows, seq. One table's rows and counter, atomically (one-shot queries).
    private static final Redis.Script TABLE = Redis.Script.of("""
            return {redis.call('GET', KEYS[2]) or '0', redis.call('HGETALL', KEYS[1])}
            """);

    /** What a stream entry costs beyond its images, as the write script counts it. */
    static final long ENTRY_OVERHEAD = 96;

    private final Redis redis;
    private final WriteScript writes;
    private final IdempotencyKeys idempotency;
    private final Generations generations;

    /**
     * @param keepChanges changes each partition stream keeps at least, for resume and failover
     * @param keepTime and at least those this young (whichever keeps more)
     * @param hardCap changes a stream keeps at most, whatever their age
     * @param maxBytes bytes of row images (JSON) a stream keeps at most, whatever the horizon says
     */
    public RowStore(Redis redis, int keepChanges, java.time.Duration keepTime, int hardCap, long maxBytes) {
        this.redis = redis;
        long rememberMs = Idempotency.remember(keepTime).toMillis();
        this.writes = new WriteScript(
                redis, keepChanges, keepTime.toMillis(), Math.max(hardCap, keepChanges), maxBytes, rememberMs);
        this.idempotency = new IdempotencyKeys(redis, rememberMs);
        this.generations = new Generations(redis);
    }

    public RowStore(Redis redis, int keepChanges, java.time.Duration keepTime, int hardCap) {
        this(redis, keepChanges, keepTime, hardCap, dev.livequery.core.EngineOptions.DEFAULT_MAX_HISTORY_BYTES);
    }

    /**
     * The horizon of the engine options (PROTOCOL §3: 10,000 changes or 5 minutes by default),
     * and their {@code maxHistoryBytes} per partition stream.
     */
    public RowStore(Redis redis, dev.livequery.core.EngineOptions o) {
        this(redis, o.horizonChanges(), o.horizonTime(), o.maxHistory(), o.maxHistoryBytes());
    }

    /**
     * The dataset's epoch, created on first use. A Redis that lost its data (no AOF, a flushed
     * replica) has no epoch key, so it gets a new one and old resume tokens become {@code reset epoch}.
     */
    public int epoch() {
        return generations.epoch();
    }

    /**
     * Starts a new epoch if the current one is still {@code old}: for when Redis is found to have
     * lost acknowledged writes, so change numbers will be reused for different changes.
     */
    public int newEpoch(int old) {
        return generations.newEpoch(old);
    }

    /**
     * The history generation of each partition, after recording the Redis node that serves it
     * now; it changes when that node may have lost acknowledged writes (see {@code Generations}).
     */
    public List<Long> generations(List<Integer> ps, boolean durableRestarts) {
        return generations.generations(ps, durableRestarts);
    }

    /** True if a Redis restart keeps every acknowledged write (AOF with {@code appendfsync always}). */
    public boolean durableRestarts() {
        return generations.durableRestarts();
    }

    /** The eviction policy, or null if CONFIG is not allowed. */
    public String evictionPolicy() {
        return generations.evictionPolicy();
    }

    /**
     * A partition's stream as a shard that has read it up to {@code read} sees it: its newest
     * entry ({@code 0-0}: none), and how many entries it had ever been given up to and including
     * {@code read} ({@code -1}: cannot tell, before Redis 7 or with more than {@value
     * #STATE_AFTER_MAX} entries after {@code read}). A reader that counted fewer entries than
     * that up to {@code read} missed some: they were trimmed before it read them.
     */
    public record StreamState(String lastId, long readIndex) {}

    /** How far behind its stream's end a reader's position may be for {@link #streamState} to count it. */
    static final int STATE_AFTER_MAX = 8;

    // KEYS: changes. ARGV: an id read up to, the most entries after it to count. Returns {newest
    // id or '0-0', entries ever added up to and including the id read or -1}. Trims only ever
    // take a stream's oldest entries, so those after the id read are all still there.
    private static final Redis.Script STATE = Redis.Script.of(STREAM_INFO + """
            local newest, n = streamInfo(KEYS[1])
            if n < 0 then return {newest, -1} end
            if newest == ARGV[1] then return {newest, n} end
            local after = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', tonumber(ARGV[2]) + 1)
            if #after > tonumber(ARGV[2]) then return {newest, -1} end
            return {newest, n - #after}
            """);

    /** See {@link StreamState}. */
    public StreamState streamState(int p, String read) {
        List<Object> r = redis.eval(
                STATE, ScriptOutputType.MULTI, new String[] {Keys.changes(p)}, read, Integer.toString(STATE_AFTER_MAX));
        return new StreamState((String) r.get(0), (Long) r.get(1));
    }

    /** Compares stream ids ({@code ms-seq}) numerically. */
    public static int compareIds(String a, String b) {
        int da = a.indexOf('-');
        int db = b.indexOf('-');
        int c = Long.compare(Long.parseLong(a.substring(0, da)), Long.parseLong(b.substring(0, db)));
        return c != 0 ? c : Long.compare(Long.parseLong(a.substring(da + 1)), Long.parseLong(b.substring(db + 1)));
    }

    /** A write's Idempotency-Key and the digest of its request ({@code dev.livequery.core.Idempotency}). */
    public record IdempotencyKey(String key, String digest) {}

    /** Applies the ops atomically (all or nothing) and returns their versions, in order. */
    public List<Long> write(String table, List<Op> ops) throws LiveQueryException {
        return write(table, ops, null);
    }

    /**
     * {@link #write}, remembered under {@code idem} (nullable) for {@link Idempotency#remember}:
     * a retry with the same key and digest answers the first result and writes nothing; the same
     * key with another digest is IDEMPOTENCY_KEY_REUSED.
     */
    public List<Long> write(String table, List<Op> ops, IdempotencyKey idem) throws LiveQueryException {
        return writes.write(table, ops, idem);
    }

    /** The write script's caller, for writers that compose their own script from it (SourceWrites). */
    WriteScript writes() {
        return writes;
    }

    /**
     * Claims {@code idem}'s key for its request before the write, for the remember time; a key
     * already claimed for another request is IDEMPOTENCY_KEY_REUSED, whichever table it was for.
     */
    public void claim(IdempotencyKey idem) throws LiveQueryException {
        idempotency.claim(idem);
    }

    /** Frees a claim whose write was refused (it changed nothing), so another request may use the key. */
    public void release(IdempotencyKey idem) {
        idempotency.release(idem);
    }

    /**
     * The versions remembered under {@code idem}, or null if none; IDEMPOTENCY_KEY_REUSED if they
     * were remembered for another request. For writes that read before they write.
     */
    public List<Long> remembered(String table, IdempotencyKey idem) throws LiveQueryException {
        return idempotency.remembered(table, idem);
    }

    /** The current row, or null. */
    public Row get(String table, String id) throws LiveQueryException {
        try {
            return parseRow(id, redis.cmd().hget(Keys.rows(Keys.partition(table), table), id));
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    /** The current rows of {@code ids} (null where absent), in one round trip. */
    public List<Row> getAll(String table, List<String> ids) throws LiveQueryException {
        if (ids.isEmpty()) {
            return List.of();
        }
        try {
            var values = redis.cmd().hmget(Keys.rows(Keys.partition(table), table), ids.toArray(String[]::new));
            List<Row> out = new ArrayList<>(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                var kv = values.get(i);
                out.add(kv.hasValue() ? parseRow(ids.get(i), kv.getValue()) : null);
            }
            return out;
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    /** A table's rows and counter, atomically. */
    public TableState table(String table) throws LiveQueryException {
        int p = Keys.partition(table);
        try {
            List<Object> r =
                    redis.eval(TABLE, ScriptOutputType.MULTI, new String[] {Keys.rows(p, table), Keys.seq(p, table)});
            return new TableState(table, Long.parseLong((String) r.get(0)), rows(r.get(1)));
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    /** Every table of the partition and the stream position they are as of, atomically. */
    public Snapshot snapshot(int p) {
        List<Object> r = redis.eval(SNAPSHOT, ScriptOutputType.MULTI, new String[] {Keys.tables(p), Keys.changes(p)});
        List<TableState> tables = new ArrayList<>();
        for (int i = 2; i + 2 < r.size(); i += 3) {
            tables.add(new TableState((String) r.get(i), Long.parseLong((String) r.get(i + 1)), rows(r.get(i + 2))));
        }
        return new Snapshot((String) r.get(0), (Long) r.get(1), tables);
    }

    /** Retained changes of the partition with stream id in ({@code after}, {@code upTo}], oldest first. */
    public List<Change> range(int p, String after, String upTo, int count) {
        List<StreamMessage<String, String>> ms =
                redis.cmd().xrange(Keys.changes(p), Range.create("(" + after, upTo), Limit.from(count));
        List<Change> out = new ArrayList<>(ms.size());
        for (var m : ms) {
            out.add(change(m));
        }
        return out;
    }

    /** Parses one stream entry of a change stream. */
    public static Change change(StreamMessage<String, String> m) {
        return read(m, true);
    }

    /**
     * {@link #change} without the before-image ({@code before} is null): what the tail needs to
     * apply a change, one JSON parse per change instead of two. Only loads roll back with before-images.
     */
    public static Change forward(StreamMessage<String, String> m) {
        return read(m, false);
    }

    private static Change read(StreamMessage<String, String> m, boolean before) {
        Map<String, String> b = m.getBody();
        return new Change(
                m.getId(),
                b.get("t"),
                b.get("id"),
                Long.parseLong(b.get("v")),
                Long.parseLong(b.getOrDefault("bv", "0")),
                before ? object(b.get("b")) : null,
                object(b.get("a")),
                Integer.parseInt(b.getOrDefault("r", "0")));
    }

    private static List<Row> rows(Object flat) {
        @SuppressWarnings("unchecked")
        List<Object> kv = (List<Object>) flat;
        List<Row> rows = new ArrayList<>(kv.size() / 2);
        for (int i = 0; i + 1 < kv.size(); i += 2) {
            rows.add(parseRow((String) kv.get(i), (String) kv.get(i + 1)));
        }
        return rows;
    }

    static Row parseRow(String id, String stored) {
        if (stored == null) {
            return null;
        }
        int bar = stored.indexOf('|');
        return new Row(id, Long.parseLong(stored.substring(0, bar)), object(stored.substring(bar + 1)));
    }

    static ObjectNode object(String json) {
        if (json == null || json.isEmpty()) {
            return null;
        }
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored row is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** What a caller sees when Redis is down: 503, retryable. */
    public static LiveQueryException unavailable(RuntimeException e) {
        return new LiveQueryException(UNAVAILABLE, "the Redis store is unreachable: " + e.getMessage());
    }
}
