package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The embedded, in-process {@link Backend}: an {@link Engine} plus write sequencing. Writes are
 * checked (row rules, If-Match, write filters) and numbered here, under the table's lock, and the
 * engine turns each into frames in the same step; a source that numbers its changes upstream (a
 * Postgres source) feeds them with {@link #ingestAtomically} and {@link #restore}.
 *
 * <p>History lives as long as the process; a restarted process has a new epoch, so tokens from
 * before the restart resume as {@code reset epoch} (with a configured secret) or
 * {@code resume_miss} (without one).
 */
public final class LocalBackend implements Backend {
    private final Engine engine;
    private final EngineOptions options;
    /** Writes made under an idempotency key, remembered for the horizon (bounded: see the class). */
    private final IdempotencyMemory remembered;

    public LocalBackend(EngineOptions options) {
        this(new Engine(options));
    }

    /** Over a history identified by {@code epoch} (tokens of another backend with the same epoch and secret resume here). */
    public LocalBackend(EngineOptions options, int epoch) {
        this(new Engine(options, epoch));
    }

    private LocalBackend(Engine engine) {
        this.engine = engine;
        this.options = engine.options();
        this.remembered = new IdempotencyMemory(options);
    }

    // ---- for a source that numbers its changes upstream ---------------------------------------

    /** {@link Engine#ingestAtomically}: one upstream transaction's changes to one table, as one step. */
    public long ingestAtomically(String table, long firstVersion, List<Engine.Change> changes)
            throws LiveQueryException {
        return engine.ingestAtomically(table, firstVersion, changes);
    }

    /** {@link Engine#restore}: a source's re-snapshot of a table. */
    public void restore(String table, List<Row> rows, long seq, String cause) throws LiveQueryException {
        engine.restore(table, rows, seq, cause);
    }

    /** {@link Engine#lastChange}. */
    public long lastChange(String table) throws LiveQueryException {
        return engine.lastChange(table);
    }

    // ---- reads: the engine's ------------------------------------------------------------------

    @Override
    public Subscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException {
        return engine.subscribe(query, resume, wakeup);
    }

    @Override
    public QueryResult query(Query query) throws LiveQueryException {
        return engine.query(query);
    }

    // ---- writes, numbered here ----------------------------------------------------------------

    @Override
    public WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write)
            throws LiveQueryException {
        ObjectNode data = Rows.copy(id, row);
        String json = Rows.checkSize(id, data, options.maxRowBytes());
        // The after-image of a put is its body: refused before a table is made for it.
        Access.checkAfter(write, id, data);
        if (ifMatch != null && engine.existing(table) == null) {
            checkVersion(id, null, ifMatch);
        }
        Table t = engine.locked(table);
        try {
            Row cur = t.rows.get(id);
            Access.checkBefore(write, table, id, cur == null ? null : cur.data());
            checkVersion(id, cur, ifMatch);
            return new WriteResult(id, t.put(id, cur, data, json), false);
        } finally {
            t.lock.unlock();
        }
    }

    @Override
    public WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write)
            throws LiveQueryException {
        Rows.checkPatch(id, fields);
        return new WriteResult(
                id,
                onExisting(table, id, ifMatch, write, cur -> {
                    return Rows.merge(id, cur.data(), fields);
                }),
                false);
    }

    @Override
    public WriteResult delete(String table, String id, Long ifMatch, Where write) throws LiveQueryException {
        Rows.checkId(id);
        return new WriteResult(id, onExisting(table, id, ifMatch, write, cur -> null), true);
    }

    /**
     * A write to a row that must exist (patch, delete): NOT_FOUND (absent or outside the write
     * filter), If-Match, the after-image's check, then the change ({@code next} gives the new
     * data, null to delete).
     */
    private long onExisting(String table, String id, Long ifMatch, Where write, Function<Row, ObjectNode> next)
            throws LiveQueryException {
        Table t = engine.lockedExisting(table);
        if (t == null) {
            throw Access.notFound(table, id);
        }
        try {
            Row cur = t.rows.get(id);
            if (cur == null) {
                throw Access.notFound(table, id);
            }
            Access.checkBefore(write, table, id, cur.data());
            checkVersion(id, cur, ifMatch);
            ObjectNode after = next.apply(cur);
            if (after == null) {
                return t.apply(id, cur, s -> null);
            }
            String json = Rows.checkSize(id, after, options.maxRowBytes());
            Access.checkAfter(write, id, after);
            return t.apply(id, cur, s -> new Row(id, s, after, json));
        } finally {
            t.lock.unlock();
        }
    }

    @Override
    public Row get(String table, String id, Where read) throws LiveQueryException {
        Rows.checkId(id);
        Table t = engine.existing(table);
        Row r = t == null ? null : t.rows.get(id);
        if (r == null || !Access.admits(read, r.data())) {
            throw Access.notFound(table, id);
        }
        return r;
    }

    @Override
    public List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes, Where write)
            throws LiveQueryException {
        Rows.Batch checked = Rows.checkBatch(upserts, deletes, options.maxRowBytes());
        List<ObjectNode> rows = checked.rows();
        List<String> texts = checked.json();
        if (rows.isEmpty() && deletes.isEmpty()) {
            engine.check(table);
            return List.of(); // nothing to write: the table does not come into being
        }
        for (ObjectNode r : rows) {
            Access.checkAfter(write, r.get("id").textValue(), r);
        }
        if (!deletes.isEmpty() && engine.existing(table) == null) {
            throw Access.notFoundInBatch(table, deletes.get(0));
        }
        Table t = engine.locked(table);
        try {
            // Every check before the first change: a refused batch changes nothing.
            for (ObjectNode r : rows) {
                String id = r.get("id").textValue();
                Row cur = t.rows.get(id);
                if (cur != null && !Access.admits(write, cur.data())) {
                    throw Access.notFoundInBatch(table, id);
                }
            }
            for (String id : deletes) {
                Row cur = t.rows.get(id);
                if (cur == null || !Access.admits(write, cur.data())) {
                    throw Access.notFoundInBatch(table, id);
                }
            }
            List<WriteResult> out = new ArrayList<>(rows.size() + deletes.size());
            for (int i = 0; i < rows.size(); i++) {
                ObjectNode r = rows.get(i);
                String json = texts.get(i);
                String id = r.get("id").textValue();
                out.add(new WriteResult(id, t.apply(id, t.rows.get(id), s -> new Row(id, s, r, json)), false));
            }
            for (String id : deletes) {
                out.add(new WriteResult(id, t.apply(id, t.rows.get(id), s -> null), true));
            }
            return out;
        } finally {
            t.lock.unlock();
        }
    }

    /**
     * Writes remembered in this process's {@link IdempotencyMemory}, as the cluster remembers them
     * in Redis: a client whose connection broke after its write applied can retry it safely.
     */
    @Override
    public Backend idempotent(String key, String request) {
        return new RememberedWrites(this, remembered, key, Idempotency.digest(request));
    }

    @Override
    public boolean ready() {
        return engine.ready();
    }

    @Override
    public Map<String, Long> gauges() {
        return engine.gauges();
    }

    @Override
    public void close() {
        engine.close();
    }

    private static void checkVersion(String id, Row cur, Long ifMatch) throws LiveQueryException {
        if (ifMatch != null && (cur == null || cur.version() != ifMatch)) {
            throw new LiveQueryException(
                    VERSION_MISMATCH,
                    "row '" + id + "' is " + (cur == null ? "absent" : "at version " + cur.version())
                            + ", not at version " + ifMatch);
        }
    }
}
