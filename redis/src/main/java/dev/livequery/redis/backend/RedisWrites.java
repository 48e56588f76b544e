package dev.livequery.redis.backend;

import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Access;
import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Idempotency;
import dev.livequery.core.KeyedWrites;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Row;
import dev.livequery.core.Rows;
import dev.livequery.core.Where;
import dev.livequery.core.WriteResult;
import dev.livequery.redis.store.RowStore;
import java.util.ArrayList;
import java.util.List;

/**
 * The write path and row reads of the cluster backend: straight to Redis, no shard involved.
 * Rows are checked here as the embedded backend checks them ({@code Rows}, {@code Access}), then
 * written by one call of the store's write script, which is atomic.
 */
final class RedisWrites {
    private final EngineOptions options;
    private final RowStore store;

    RedisWrites(EngineOptions options, RowStore store) {
        this.options = options;
        this.store = store;
    }

    // Unrestricted puts, deletes and batches are one script call; with a write filter (PROTOCOL §9)
    // they go through CheckedWrites, so the check and the write are one atomic step. {@code key}
    // is the Idempotency-Key ({@link #idempotent}), or null.

    WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write) throws LiveQueryException {
        return put(table, id, row, ifMatch, write, null);
    }

    private WriteResult put(
            String table, String id, ObjectNode row, Long ifMatch, Where write, RowStore.IdempotencyKey key)
            throws LiveQueryException {
        Tables.check(options, table);
        ObjectNode data = Rows.copy(id, row);
        String json = Rows.checkSize(id, data, options.maxRowBytes());
        if (write == null) {
            return new WriteResult(id, writeOne(table, new RowStore.Op(id, data, ifMatch, false, json), key), false);
        }
        Access.checkAfter(write, id, data);
        CheckedWrites.Write w = new CheckedWrites.Write(data, json);
        return new WriteResult(id, checkedOne(table, id, ifMatch, write, key, false, c -> w), false);
    }

    WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write) throws LiveQueryException {
        return patch(table, id, fields, ifMatch, write, null);
    }

    private WriteResult patch(
            String table, String id, ObjectNode fields, Long ifMatch, Where write, RowStore.IdempotencyKey key)
            throws LiveQueryException {
        Tables.check(options, table);
        Rows.checkPatch(id, fields);
        // A patch always reads first (it merges in Java), so it is always a checked write.
        long v = checkedOne(table, id, ifMatch, write, key, true, c -> {
            ObjectNode after = Rows.copy(id, Rows.merge(id, c.data(), fields));
            String json = Rows.checkSize(id, after, options.maxRowBytes());
            Access.checkAfter(write, id, after);
            return new CheckedWrites.Write(after, json);
        });
        return new WriteResult(id, v, false);
    }

    WriteResult delete(String table, String id, Long ifMatch, Where write) throws LiveQueryException {
        return delete(table, id, ifMatch, write, null);
    }

    private WriteResult delete(String table, String id, Long ifMatch, Where write, RowStore.IdempotencyKey key)
            throws LiveQueryException {
        Tables.check(options, table);
        Rows.checkId(id);
        if (write == null) {
            return new WriteResult(id, writeOne(table, new RowStore.Op(id, null, ifMatch), key), true);
        }
        return new WriteResult(
                id, checkedOne(table, id, ifMatch, write, key, true, c -> CheckedWrites.Write.DELETE), true);
    }

    /** One row written as it is (no write filter): one script call. */
    private long writeOne(String table, RowStore.Op op, RowStore.IdempotencyKey key) throws LiveQueryException {
        return store.write(table, List.of(op), key).get(0);
    }

    /** What a checked write of one row writes, given the row as it is (null: absent). */
    private interface After {
        CheckedWrites.Write of(Row current) throws LiveQueryException;
    }

    /**
     * One row under a write filter, checked and written in one atomic step ({@link CheckedWrites}):
     * the row as it is must pass the filter (and exist, if {@code mustExist}) and {@code ifMatch};
     * then {@code after} says what to write (null deletes).
     */
    private long checkedOne(
            String table,
            String id,
            Long ifMatch,
            Where write,
            RowStore.IdempotencyKey key,
            boolean mustExist,
            After after)
            throws LiveQueryException {
        return CheckedWrites.run(store, table, List.of(id), ifMatch != null, key, cur -> {
                    Row c = cur.get(0);
                    if (c == null && mustExist) {
                        throw Access.notFound(table, id);
                    }
                    Access.checkBefore(write, table, id, c == null ? null : c.data());
                    checkIfMatch(id, c, ifMatch);
                    return List.of(after.of(c));
                })
                .get(0);
    }

    private static void checkIfMatch(String id, Row cur, Long ifMatch) throws LiveQueryException {
        if (ifMatch != null && (cur == null || cur.version() != ifMatch)) {
            throw new LiveQueryException(
                    VERSION_MISMATCH,
                    "row '" + id + "' is " + (cur == null ? "absent" : "at version " + cur.version())
                            + ", not at version " + ifMatch);
        }
    }

    Row get(String table, String id, Where read) throws LiveQueryException {
        Tables.check(options, table);
        Rows.checkId(id);
        Row r = store.get(table, id);
        if (r == null || !Access.admits(read, r.data())) {
            throw Access.notFound(table, id);
        }
        return r;
    }

    List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes, Where write)
            throws LiveQueryException {
        return batch(table, upserts, deletes, write, null);
    }

    private List<WriteResult> batch(
            String table, List<ObjectNode> upserts, List<String> deletes, Where write, RowStore.IdempotencyKey key)
            throws LiveQueryException {
        Tables.check(options, table);
        List<RowStore.Op> ops = new ArrayList<>();
        Rows.Batch checked = Rows.checkBatch(upserts, deletes, options.maxRowBytes());
        for (int i = 0; i < checked.rows().size(); i++) {
            ObjectNode data = checked.rows().get(i);
            ops.add(new RowStore.Op(
                    data.get("id").textValue(),
                    data,
                    null,
                    false,
                    checked.json().get(i)));
        }
        for (String id : deletes) {
            ops.add(new RowStore.Op(id, null, null));
        }
        if (ops.isEmpty()) {
            return List.of();
        }
        List<Long> vs = write == null ? store.write(table, ops, key) : checkedBatch(table, ops, write, key);
        List<WriteResult> out = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            out.add(new WriteResult(ops.get(i).id(), vs.get(i), ops.get(i).after() == null));
        }
        return out;
    }

    /** A batch under a write filter: every row checked, then all written or none. */
    private List<Long> checkedBatch(String table, List<RowStore.Op> ops, Where write, RowStore.IdempotencyKey key)
            throws LiveQueryException {
        List<String> ids = new ArrayList<>(ops.size());
        List<CheckedWrites.Write> after = new ArrayList<>(ops.size());
        for (RowStore.Op op : ops) {
            Access.checkAfter(write, op.id(), op.after());
            ids.add(op.id());
            after.add(new CheckedWrites.Write(op.after(), op.json()));
        }
        return CheckedWrites.run(store, table, ids, false, key, cur -> {
            for (int i = 0; i < ids.size(); i++) {
                Row c = cur.get(i);
                boolean delete = after.get(i).after() == null;
                if (delete && c == null || c != null && !Access.admits(write, c.data())) {
                    throw Access.notFoundInBatch(table, ids.get(i));
                }
            }
            return after;
        });
    }

    /**
     * Writes remembered under {@code key} in the write script itself (atomic with the write), so
     * a retry of a write whose answer was lost (a 503 after it was sent) cannot apply twice.
     */
    Backend idempotent(Backend base, String key, String request) {
        RowStore.IdempotencyKey idem = new RowStore.IdempotencyKey(key, Idempotency.digest(request));
        RedisWrites b = this;
        return new KeyedWrites(base) {
            @Override
            public WriteResult put(String t, String id, ObjectNode row, Long ifMatch, Where write)
                    throws LiveQueryException {
                return claimed(idem, () -> b.put(t, id, row, ifMatch, write, idem));
            }

            @Override
            public WriteResult patch(String t, String id, ObjectNode f, Long ifMatch, Where write)
                    throws LiveQueryException {
                return claimed(idem, () -> b.patch(t, id, f, ifMatch, write, idem));
            }

            @Override
            public WriteResult delete(String t, String id, Long ifMatch, Where write) throws LiveQueryException {
                return claimed(idem, () -> b.delete(t, id, ifMatch, write, idem));
            }

            @Override
            public List<WriteResult> batch(String t, List<ObjectNode> up, List<String> del, Where write)
                    throws LiveQueryException {
                return claimed(idem, () -> b.batch(t, up, del, write, idem));
            }
        };
    }

    /** A write under a key. */
    @FunctionalInterface
    private interface KeyedWrite<T> {
        T run() throws LiveQueryException;
    }

    /**
     * Runs {@code w} once its key is claimed for this request (so the key cannot come back for
     * another table either), and frees the claim when the write was refused: it changed nothing,
     * and the embedded backend forgets such keys too. A 503 keeps the claim (the write may have
     * applied).
     */
    private <T> T claimed(RowStore.IdempotencyKey idem, KeyedWrite<T> w) throws LiveQueryException {
        store.claim(idem);
        try {
            return w.run();
        } catch (LiveQueryException e) {
            if (e.code() != UNAVAILABLE && e.code() != LiveQueryException.Code.IDEMPOTENCY_KEY_REUSED) {
                store.release(idem);
            }
            throw e;
        }
    }
}
