package dev.livequery.shard.store;

import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Row;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import java.security.SecureRandom;
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
 */
public final class RowStore {
    /**
     * One row write: {@code after == null} deletes. {@code ifMatch} is the version the row must
     * be at; {@code absent} requires that it does not exist (a checked write that read no row).
     */
    public record Op(String id, ObjectNode after, Long ifMatch, boolean absent) {
        public Op(String id, ObjectNode after, Long ifMatch) {
            this(id, after, ifMatch, false);
        }
    }

    /**
     * One change as the stream holds it. {@code rest}: how many changes of the same write follow it
     * in the stream (a write's changes are consecutive); a reader applies them as one step.
     */
    public record Change(String streamId, String table, String id, long version, long beforeVersion,
            ObjectNode before, ObjectNode after, int rest) {
    }

    /** A table's rows and counter as of one stream position. */
    public record TableState(String table, long seq, List<Row> rows) {
    }

    /** A partition as of {@code lastId} (everything up to and including it is in the rows). */
    public record Snapshot(String lastId, List<TableState> tables) {
    }

    // KEYS: rows, seq, changes, bytes, tables. ARGV: table, hard cap, n, keep (count), keep (ms),
    // max bytes, then n × (kind, id, ifMatch, json). Pass 1 checks every precondition, pass 2
    // applies: nothing is written unless all pass. Then the trim, oldest first, at most 100 + n
    // entries per write (so one write costs little and the trim still outpaces the writes); an
    // entry goes when it is beyond the resume horizon (PROTOCOL §3: the last `keep` changes or
    // `keep ms`, whichever is more), or beyond the hard cap in changes, or while the stream's
    // images take more than `max bytes`: memory is bounded under any write rate and any row size.
    // `bytes` counts the images the stream holds (see ENTRY_OVERHEAD), so the byte bound needs no scan.
    // With a 6th key (an idempotency key): if it holds a result, that result is the answer and
    // nothing is written; else the versions are stored there for the horizon after the write.
    // ${IDEM} is the idempotency key expression and ${CHECKED} runs once every precondition
    // passed, before anything is written: SourceWrites composes its fenced, positioned write from
    // this same text (writeScript), so the two cannot drift.
    static final String WRITE_LUA = """
            if ${IDEM} then
              local done = redis.call('GET', ${IDEM})
              if done then
                local out = {'OK'}
                for v in string.gmatch(done, '[^,]+') do out[#out + 1] = v end
                return out
              end
            end
            local n = tonumber(ARGV[3])
            local function ver(cur)
              if not cur then return nil end
              local bar = string.find(cur, '|', 1, true)
              return string.sub(cur, 1, bar - 1), string.sub(cur, bar + 1)
            end
            for i = 0, n - 1 do
              local kind, id, ifm = ARGV[7 + i*4], ARGV[8 + i*4], ARGV[9 + i*4]
              local cur = redis.call('HGET', KEYS[1], id)
              local v = ver(cur)
              if ifm == 'A' then
                if cur then return {'412', id, v} end
              elseif ifm ~= '' and v ~= ifm then return {'412', id, v or ''} end
              if kind == 'D' and not cur then return {'404', id, ''} end
            end
            ${CHECKED}
            local out = {'OK'}
            local added, last = 0, 0
            for i = 0, n - 1 do
              local kind, id, json = ARGV[7 + i*4], ARGV[8 + i*4], ARGV[10 + i*4]
              local cur = redis.call('HGET', KEYS[1], id)
              local bv, bj = ver(cur)
              local v = redis.call('INCR', KEYS[2])
              if kind == 'D' then
                redis.call('HDEL', KEYS[1], id)
                json = ''
              else
                redis.call('HSET', KEYS[1], id, v .. '|' .. json)
              end
              redis.call('XADD', KEYS[3], '*', 't', ARGV[1], 'id', id, 'v', v, 'bv', bv or '0', 'b', bj or '', 'a', json,
                  'r', n - 1 - i)
              last = ${SIZE} + #json + #(bj or '')
              added = added + last
              out[#out + 1] = tostring(v)
            end
            redis.call('SADD', KEYS[5], ARGV[1])
            if ${IDEM} then
              redis.call('SET', ${IDEM}, table.concat(out, ',', 2), 'PX', math.max(tonumber(ARGV[5]), 60000))
            end
            local bytes = redis.call('INCRBY', KEYS[4], added)
            local keep, cap, maxb = tonumber(ARGV[4]), tonumber(ARGV[2]), tonumber(ARGV[6])
            local len = redis.call('XLEN', KEYS[3])
            if len > keep or len > cap or bytes > maxb then
              local t = redis.call('TIME')
              local cut = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[5])
              local limit = 100 + n
              -- read only what may go (plus the first entry that stays): entries carry whole rows,
              -- and when the horizon's time keeps them, the first one read tells
              local count = math.min(math.max(len - cap, 1), limit) + 1
              local from, upto, freed, stay = '-', 0, 0, nil
              while not stay do
                local old = redis.call('XRANGE', KEYS[3], from, '+', 'COUNT', count)
                for j = 1, #old do
                  local left = len - upto
                  local ms = tonumber(string.match(old[j][1], '^(%d+)'))
                  -- the newest entry always stays: it holds the stream's last id
                  if left <= 1 or upto >= limit
                      or not (left > keep and ms < cut or left > cap or bytes - freed > maxb) then
                    stay = old[j][1]
                    break
                  end
                  local f = old[j][2]
                  local size = ${SIZE}
                  for k = 1, #f, 2 do
                    if f[k] == 'a' or f[k] == 'b' then size = size + #f[k + 1] end
                  end
                  upto = upto + 1
                  freed = freed + size
                end
                if not stay then
                  if #old == 0 then break end
                  from = '(' .. old[#old][1]
                  count = math.min(count * 2, 64)
                end
              end
              if upto > 0 and stay then
                redis.call('XTRIM', KEYS[3], 'MINID', stay)
                if len - upto <= 1 then
                  -- one entry left: count it afresh, so a counter that drifted (a stream trimmed by
                  -- hand) cannot keep the history empty for ever
                  redis.call('SET', KEYS[4], last)
                else
                  redis.call('DECRBY', KEYS[4], freed)
                end
              end
            end
            return out
            """.replace("${SIZE}", Long.toString(RowStore.ENTRY_OVERHEAD));

    private static final Redis.Script WRITE = writeScript("", "KEYS[6]", "");

    /** The write script with {@code prelude} before it, {@code idem} as its idempotency key and {@code checked} hooked in. */
    static Redis.Script writeScript(String prelude, String idem, String checked) {
        return Redis.Script.of(prelude + WRITE_LUA.replace("${IDEM}", idem).replace("${CHECKED}", checked));
    }

    // KEYS: tables, changes (of one partition; the per-table keys share its hash tag).
    // Returns {lastStreamId, table1, seq1, {id, val, ...}, table2, ...} read atomically.
    private static final Redis.Script SNAPSHOT = Redis.Script.of("""
            local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
            local out = {last[1] and last[1][1] or '0-0'}
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
    private final int keepChanges;
    private final long keepMs;
    private final int hardCap;
    private final long maxBytes;

    /**
     * @param keepChanges changes each partition stream keeps at least, for resume and failover
     * @param keepTime and at least those this young (whichever keeps more)
     * @param hardCap changes a stream keeps at most, whatever their age
     * @param maxBytes bytes of row images (JSON) a stream keeps at most, whatever the horizon says
     */
    public RowStore(Redis redis, int keepChanges, java.time.Duration keepTime, int hardCap, long maxBytes) {
        this.redis = redis;
        this.keepChanges = keepChanges;
        this.keepMs = keepTime.toMillis();
        this.hardCap = Math.max(hardCap, keepChanges);
        this.maxBytes = maxBytes;
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
    public int newEpoch(int old) {
        String next = Integer.toString(new SecureRandom().nextInt() & Integer.MAX_VALUE);
        String now = redis.eval(NEW_EPOCH, ScriptOutputType.VALUE, new String[] {Keys.EPOCH}, Integer.toString(old), next);
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
    public List<Long> generations(List<Integer> ps, boolean durableRestarts) {
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
                out.add(c.get(redis.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).get(0));
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
    public boolean durableRestarts() {
        try {
            Map<String, String> c = redis.cmd().configGet("appendonly", "appendfsync");
            return "yes".equals(c.get("appendonly")) && "always".equals(c.get("appendfsync"));
        } catch (RedisException e) {
            return false;
        }
    }

    /** The eviction policy, or null if CONFIG is not allowed. */
    public String evictionPolicy() {
        try {
            return redis.cmd().configGet("maxmemory-policy").get("maxmemory-policy");
        } catch (RedisException e) {
            return null;
        }
    }

    /** The id of the newest entry of a partition's stream, or {@code 0-0}. */
    public String lastId(int p) {
        var last = redis.cmd().xrevrange(Keys.changes(p), Range.create("-", "+"), Limit.from(1));
        return last.isEmpty() ? "0-0" : last.get(0).getId();
    }

    /** Compares stream ids ({@code ms-seq}) numerically. */
    public static int compareIds(String a, String b) {
        int da = a.indexOf('-');
        int db = b.indexOf('-');
        int c = Long.compare(Long.parseLong(a.substring(0, da)), Long.parseLong(b.substring(0, db)));
        return c != 0 ? c : Long.compare(Long.parseLong(a.substring(da + 1)), Long.parseLong(b.substring(db + 1)));
    }

    /** Applies the ops atomically (all or nothing) and returns their versions, in order. */
    public List<Long> write(String table, List<Op> ops) throws LiveQueryException {
        return write(table, ops, null);
    }

    /**
     * {@link #write}, remembered under {@code idempotencyKey} (nullable) for the resume horizon
     * (at least a minute): a retry with the key answers the first result and writes nothing.
     */
    public List<Long> write(String table, List<Op> ops, String idempotencyKey) throws LiveQueryException {
        String[] keys = idempotencyKey == null ? writeKeys(table)
                : writeKeys(table, Keys.idempotency(Keys.partition(table), table, idempotencyKey));
        List<Object> r;
        try {
            r = redis.eval(WRITE, ScriptOutputType.MULTI, keys, writeArgs(table, ops));
        } catch (RedisException e) {
            throw unavailable(e);
        }
        return versions(table, ops, r);
    }

    /** The write script's keys for {@code table}, then {@code extra}. */
    static String[] writeKeys(String table, String... extra) {
        int p = Keys.partition(table);
        String[] keys = {Keys.rows(p, table), Keys.seq(p, table), Keys.changes(p), Keys.changeBytes(p), Keys.tables(p)};
        String[] out = java.util.Arrays.copyOf(keys, keys.length + extra.length);
        System.arraycopy(extra, 0, out, keys.length, extra.length);
        return out;
    }

    /** The write script's arguments: table, bounds, the ops, then {@code tail} (ARGV[7 + 4n]...). */
    String[] writeArgs(String table, List<Op> ops, String... tail) {
        String[] args = new String[6 + ops.size() * 4 + tail.length];
        args[0] = table;
        args[1] = Integer.toString(hardCap);
        args[2] = Integer.toString(ops.size());
        args[3] = Integer.toString(keepChanges);
        args[4] = Long.toString(keepMs);
        args[5] = Long.toString(maxBytes);
        int i = 6;
        for (Op op : ops) {
            args[i++] = op.after() == null ? "D" : "P";
            args[i++] = op.id();
            args[i++] = op.absent() ? "A" : op.ifMatch() == null ? "" : op.ifMatch().toString();
            args[i++] = op.after() == null ? "" : op.after().toString();
        }
        System.arraycopy(tail, 0, args, i, tail.length);
        return args;
    }

    /** The versions of an {@code OK} answer of the write script, or the error its other answers mean. */
    static List<Long> versions(String table, List<Op> ops, List<Object> r) throws LiveQueryException {
        String status = (String) r.get(0);
        switch (status) {
            case "OK" -> {
                List<Long> versions = new ArrayList<>(ops.size());
                for (int k = 1; k < r.size(); k++) {
                    versions.add(Long.parseLong((String) r.get(k)));
                }
                return versions;
            }
            case "412" -> {
                String cur = (String) r.get(2);
                throw new LiveQueryException(VERSION_MISMATCH, "row '" + r.get(1) + "' is "
                        + (cur.isEmpty() ? "absent" : "at version " + cur) + ", not at the version in If-Match");
            }
            case "404" -> throw new LiveQueryException(NOT_FOUND, "row '" + r.get(1) + "' does not exist in table '"
                    + table + "'" + (ops.size() > 1 ? "; nothing in the batch was applied" : ""));
            default -> throw new IllegalStateException("write script answered " + r);
        }
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
            List<Object> r = redis.eval(TABLE, ScriptOutputType.MULTI,
                    new String[] {Keys.rows(p, table), Keys.seq(p, table)});
            return new TableState(table, Long.parseLong((String) r.get(0)), rows(r.get(1)));
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    /** Every table of the partition and the stream position they are as of, atomically. */
    public Snapshot snapshot(int p) {
        List<Object> r = redis.eval(SNAPSHOT, ScriptOutputType.MULTI, new String[] {Keys.tables(p), Keys.changes(p)});
        List<TableState> tables = new ArrayList<>();
        for (int i = 1; i + 2 < r.size(); i += 3) {
            tables.add(new TableState((String) r.get(i), Long.parseLong((String) r.get(i + 1)), rows(r.get(i + 2))));
        }
        return new Snapshot((String) r.get(0), tables);
    }

    /** Retained changes of the partition with stream id in ({@code after}, {@code upTo}], oldest first. */
    public List<Change> range(int p, String after, String upTo, int count) {
        List<StreamMessage<String, String>> ms = redis.cmd().xrange(Keys.changes(p),
                Range.create("(" + after, upTo), Limit.from(count));
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
        return new Change(m.getId(), b.get("t"), b.get("id"), Long.parseLong(b.get("v")),
                Long.parseLong(b.getOrDefault("bv", "0")), before ? object(b.get("b")) : null, object(b.get("a")),
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
