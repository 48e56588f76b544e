package dev.livequery.redis.store;

import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;

import dev.livequery.core.Idempotency;
import dev.livequery.core.LiveQueryException;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.List;

/**
 * The write script and its one caller: every row write of the cluster is one call, which checks
 * every precondition, applies the writes, records them in the partition's change stream and
 * trims that stream to its bounds, atomically ({@link RowStore}'s class comment says why).
 */
final class WriteScript {
    /** The horizon's trim runs once per this many changes appended (see the script's comment). */
    static final int TRIM_EVERY = 16;

    // KEYS: rows, seq, changes, bytes, tables. ARGV: table, hard cap, n, keep (count), keep (ms),
    // max bytes, digest, then n × (kind, id, ifMatch, json), then the idempotency TTL (ms).
    // Pass 1 checks every precondition, pass 2 applies: nothing is written unless all pass. Then
    // the trim, oldest first, at most 100 + n entries per write (so one write costs little and the
    // trim still outpaces the writes); an entry goes when it is beyond the resume horizon
    // (PROTOCOL §3: the last `keep` changes or `keep ms`, whichever is more), or beyond the hard
    // cap in changes, or while the stream's images take more than `max bytes`: memory is bounded
    // under any write rate and any row size.
    // `bytes` counts the images the stream holds (see ENTRY_OVERHEAD), so the byte bound needs no scan.
    // The horizon's trim (count and time) runs only on the writes that take the stream's length
    // across a multiple of TRIM_EVERY: looking for old entries reads the clock and whole row
    // images, a third of a one-row write's time in Redis, and past the horizon's count it found
    // nothing to take on almost every write. So a stream holds up to TRIM_EVERY - 1 changes beyond
    // its horizon, never fewer; the hard cap and the byte bound are checked on every write, as
    // before. Pass 2 does not read a row again: it has it from pass 1, or from its own earlier
    // change of that row in the same write.
    // With a 6th key (an idempotency key) and ARGV[7] the digest of the request: if the key holds
    // a result for the same digest, that result is the answer and nothing is written; for another
    // digest the answer is '422' (the key was reused for a different request) and nothing is
    // written; else `digest|v1,v2,…` is stored there, with the write, for the horizon's time (at
    // least a minute: Idempotency.remember), so Redis memory for keys is bounded by the TTL.
    // ${IDEM} is the idempotency key's expression and ${CHECKED} runs once every precondition
    // passed, before anything is written: SourceWrites composes its fenced, positioned write from
    // this same text (script()), so the two cannot drift. Each change-stream entry carries `r`, how
    // many changes of the same write follow it: a shard applies a write's changes as one step.
    static final String WRITE_LUA = """
            if ${IDEM} then
              local done = redis.call('GET', ${IDEM})
              if done then
                -- no digest: remembered by an older gateway, which did not bind keys to requests
                local bar = string.find(done, '|', 1, true) or 0
                if bar > 0 and string.sub(done, 1, bar - 1) ~= ARGV[7] then return {'422'} end
                local out = {'OK'}
                for v in string.gmatch(string.sub(done, bar + 1), '[^,]+') do out[#out + 1] = v end
                return out
              end
            end
            local n = tonumber(ARGV[3])
            local function ver(cur)
              if not cur then return nil end
              local bar = string.find(cur, '|', 1, true)
              return string.sub(cur, 1, bar - 1), string.sub(cur, bar + 1)
            end
            local rows = {}
            for i = 0, n - 1 do
              local kind, id, ifm = ARGV[8 + i*4], ARGV[9 + i*4], ARGV[10 + i*4]
              local cur = redis.call('HGET', KEYS[1], id)
              if rows[id] == nil then rows[id] = cur end
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
              local kind, id, json = ARGV[8 + i*4], ARGV[9 + i*4], ARGV[11 + i*4]
              local bv, bj = ver(rows[id])
              local v = redis.call('INCR', KEYS[2])
              if kind == 'D' then
                redis.call('HDEL', KEYS[1], id)
                json = ''
                rows[id] = false
              else
                local val = v .. '|' .. json
                redis.call('HSET', KEYS[1], id, val)
                rows[id] = val
              end
              redis.call('XADD', KEYS[3], '*', 't', ARGV[1], 'id', id, 'v', v, 'bv', bv or '0', 'b', bj or '', 'a', json,
                  'r', n - 1 - i)
              last = ${SIZE} + #json + #(bj or '')
              added = added + last
              out[#out + 1] = tostring(v)
            end
            redis.call('SADD', KEYS[5], ARGV[1])
            if ${IDEM} then
              redis.call('SET', ${IDEM}, ARGV[7] .. '|' .. table.concat(out, ',', 2), 'PX', ARGV[8 + n*4])
            end
            local bytes = redis.call('INCRBY', KEYS[4], added)
            local keep, cap, maxb = tonumber(ARGV[4]), tonumber(ARGV[2]), tonumber(ARGV[6])
            local len = redis.call('XLEN', KEYS[3])
            local due = math.floor(len / ${EVERY}) ~= math.floor((len - n) / ${EVERY})
            if len > keep and due or len > cap or bytes > maxb then
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
                      or not (left > keep and ms <= cut or left > cap or bytes - freed > maxb) then
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
            """.replace("${SIZE}", Long.toString(RowStore.ENTRY_OVERHEAD))
            .replace("${EVERY}", Integer.toString(TRIM_EVERY));

    private static final Redis.Script WRITE = script("", "KEYS[6]", "");

    /** The write script with {@code prelude} before it, {@code idem} as its idempotency key and {@code checked} hooked in. */
    static Redis.Script script(String prelude, String idem, String checked) {
        return Redis.Script.of(prelude + WRITE_LUA.replace("${IDEM}", idem).replace("${CHECKED}", checked));
    }

    private final Redis redis;
    private final int keepChanges;
    private final long keepMs;
    private final int hardCap;
    private final long maxBytes;
    private final long rememberMs;

    WriteScript(Redis redis, int keepChanges, long keepMs, int hardCap, long maxBytes, long rememberMs) {
        this.redis = redis;
        this.keepChanges = keepChanges;
        this.keepMs = keepMs;
        this.hardCap = hardCap;
        this.maxBytes = maxBytes;
        this.rememberMs = rememberMs;
    }

    List<Long> write(String table, List<RowStore.Op> ops, RowStore.IdempotencyKey idem) throws LiveQueryException {
        String[] keys =
                idem == null ? keys(table) : keys(table, Keys.idempotency(Keys.partition(table), table, idem.key()));
        List<Object> r;
        try {
            r = redis.eval(WRITE, ScriptOutputType.MULTI, keys, args(table, ops, idem == null ? "" : idem.digest()));
        } catch (RedisException e) {
            throw RowStore.unavailable(e);
        }
        return versions(table, ops, r, idem);
    }

    /** The write script's keys for {@code table}, then {@code extra} (KEYS[6]…). */
    static String[] keys(String table, String... extra) {
        int p = Keys.partition(table);
        String[] keys = {Keys.rows(p, table), Keys.seq(p, table), Keys.changes(p), Keys.changeBytes(p), Keys.tables(p)};
        String[] out = java.util.Arrays.copyOf(keys, keys.length + extra.length);
        System.arraycopy(extra, 0, out, keys.length, extra.length);
        return out;
    }

    /** The write script's arguments: table, bounds, digest, the ops, the remember TTL, then {@code tail} (ARGV[9 + 4n]…). */
    String[] args(String table, List<RowStore.Op> ops, String digest, String... tail) {
        String[] args = new String[8 + ops.size() * 4 + tail.length];
        args[0] = table;
        args[1] = Integer.toString(hardCap);
        args[2] = Integer.toString(ops.size());
        args[3] = Integer.toString(keepChanges);
        args[4] = Long.toString(keepMs);
        args[5] = Long.toString(maxBytes);
        args[6] = digest;
        int i = 7;
        for (RowStore.Op op : ops) {
            args[i++] = op.after() == null ? "D" : "P";
            args[i++] = op.id();
            args[i++] =
                    op.absent() ? "A" : op.ifMatch() == null ? "" : op.ifMatch().toString();
            args[i++] = op.text();
        }
        args[i++] = Long.toString(rememberMs);
        System.arraycopy(tail, 0, args, i, tail.length);
        return args;
    }

    /** The versions of an {@code OK} answer of the write script, or the error its other answers mean. */
    static List<Long> versions(String table, List<RowStore.Op> ops, List<Object> r, RowStore.IdempotencyKey idem)
            throws LiveQueryException {
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
                throw new LiveQueryException(
                        VERSION_MISMATCH,
                        "row '" + r.get(1) + "' is " + (cur.isEmpty() ? "absent" : "at version " + cur)
                                + ", not at the version in If-Match");
            }
            case "422" -> throw Idempotency.reused();
            case "404" ->
                throw new LiveQueryException(
                        NOT_FOUND,
                        "row '" + r.get(1) + "' does not exist in table '" + table + "'"
                                + (ops.size() > 1 ? "; nothing in the batch was applied" : ""));
            default -> throw new IllegalStateException("write script answered " + r);
        }
    }
}
