package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.UNKNOWN_TABLE;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The embedded, in-process {@link Backend}: tables in memory, one incremental engine.
 *
 * <p>History lives as long as the process; a restarted process has a new epoch, so tokens from
 * before the restart resume as {@code reset epoch} (with a configured secret) or
 * {@code resume_miss} (without one).
 */
public final class LocalBackend implements Backend {
    private final EngineOptions options;
    private final Signer signer;
    private final int epoch;
    private final Map<String, Table> tables = new ConcurrentHashMap<>();
    private final AtomicLong subscriptions = new AtomicLong();
    /** One-shot queries that had to scan a table (no view of their shape): a metric for operators. */
    private final AtomicLong oneShotScans = new AtomicLong();
    private volatile boolean closed;

    public LocalBackend(EngineOptions options) {
        this(options, new SecureRandom().nextInt() & Integer.MAX_VALUE);
    }

    /**
     * An engine over a history identified by {@code epoch}: processes that share a history (the
     * cluster's shards, over one Redis dataset) share its epoch, so their tokens are interchangeable.
     */
    public LocalBackend(EngineOptions options, int epoch) {
        this.options = options;
        this.signer = new Signer(options.secret(), options.previousSecret(), options.previousOverlap(), System::nanoTime);
        this.epoch = epoch;
    }

    // ---- for backends that sequence writes elsewhere (the Redis cluster) ---------------------

    /**
     * Applies a change numbered elsewhere: {@code version} is the table's change number and the
     * row's new version ({@code after == null} deletes). A version at or below the table's last
     * one is a duplicate and is ignored, so a change stream can be replayed from any earlier point.
     *
     * @return whether the change was applied
     */
    public boolean ingest(String table, String id, ObjectNode after, long version) throws LiveQueryException {
        Table t = locked(table);
        try {
            if (version <= t.seq) {
                return false;
            }
            t.applyAt(id, t.rows.get(id), after == null ? null : new Row(id, version, Rows.copy(id, after)), version);
            return true;
        } finally {
            t.lock.unlock();
        }
    }

    /** One change of an upstream transaction: an upsert ({@code after} set), a delete, or a truncate. */
    public record Change(String id, ObjectNode after, boolean truncate) {
        public static Change upsert(String id, ObjectNode after) {
            return new Change(id, after, false);
        }

        public static Change delete(String id) {
            return new Change(id, null, false);
        }

        /** Deletes every row the table holds at this point of the transaction. */
        public static Change truncation() {
            return new Change(null, null, true);
        }
    }

    /**
     * Applies the changes of one upstream transaction (a Postgres source's) to one table as one
     * atomic step: all of them under one hold of the table lock, and the frames they cause are
     * held back from every subscription until the last is applied, so no consumer can drain a
     * window that shows half of the transaction. Change {@code i} gets version
     * {@code max(lastChange + 1, firstVersion) + i}: callers derive {@code firstVersion} from a
     * position that only grows (a commit LSN), so versions stay monotonic, and the max keeps them
     * so even when a transaction has more changes than the caller's numbering reserved.
     * De-duplication is the caller's: it knows which transactions it applied.
     *
     * @return the last version assigned (the table's new last change), or the old one if empty
     */
    public long ingestAtomically(String table, long firstVersion, List<Change> changes) throws LiveQueryException {
        for (Change c : changes) {
            if (!c.truncate()) {
                Rows.checkId(c.id());
            }
        }
        Table t = locked(table);
        try {
            long v = Math.max(t.seq + 1, firstVersion);
            t.holdFrames();
            try {
                for (Change c : changes) {
                    if (c.truncate()) {
                        for (String id : List.copyOf(t.rows.keySet())) {
                            t.applyAt(id, t.rows.get(id), null, v++);
                        }
                    } else {
                        Row before = t.rows.get(c.id());
                        if (before == null && c.after() == null) {
                            continue; // a delete of a row a re-snapshot already lacks
                        }
                        Row after = c.after() == null ? null : new Row(c.id(), v, Rows.copy(c.id(), c.after()));
                        t.applyAt(c.id(), before, after, v++);
                    }
                }
            } finally {
                t.releaseFrames();
            }
            return t.seq;
        } finally {
            t.lock.unlock();
        }
    }

    /**
     * Replaces a table's rows wholesale (a new owner's cold start) as of change {@code seq}.
     * Resume tokens older than {@code seq} no longer rebuild; live windows are reset with
     * {@code cause} (e.g. {@code failover}).
     */
    public void restore(String table, List<Row> rows, long seq, String cause) throws LiveQueryException {
        Table t = locked(table);
        try {
            t.stamp++;
            t.rows.clear();
            for (Row r : rows) {
                t.rows.put(r.id(), r);
            }
            t.seq = seq;
            t.stamp++;
            t.history.restart(seq);
            for (View v : List.copyOf(t.views.values())) {
                v.reload();
                for (LiveWindow w : v.windows) {
                    w.reload();
                    w.sub.resetLater(cause);
                }
            }
        } finally {
            t.lock.unlock();
        }
    }

    /** The last change number of a table (0 for one never written). */
    public long lastChange(String table) throws LiveQueryException {
        Table t = lockedExisting(table);
        if (t == null) {
            return 0;
        }
        try {
            return t.seq;
        } finally {
            t.lock.unlock();
        }
    }

    record Placement(Key bound, boolean backward) {
    }

    /** Decodes and checks a window against a view's shape and the limits. */
    Placement placement(View view, Window w) throws LiveQueryException {
        if (w.limit() > options.maxWindow()) {
            throw new LiveQueryException(BAD_QUERY, "limit " + w.limit() + " is over the maximum window of "
                    + options.maxWindow());
        }
        if (w.after() != null) {
            return new Placement(Cursors.decode(signer, view.shape, w.after()), false);
        }
        if (w.before() != null) {
            return new Placement(Cursors.decode(signer, view.shape, w.before()), true);
        }
        return new Placement(null, false);
    }

    @Override
    public Subscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException {
        Table t = locked(query.shape().table());
        try {
            View v = t.view(query.shape(), signer, epoch);
            Placement p;
            try {
                p = placement(v, query.window());
            } catch (LiveQueryException e) {
                t.release(v);
                dropIfUnused(t);
                throw e;
            }
            // The view's shape, not the caller's equal copy: a subscription then costs its window only.
            LocalSubscription sub = new LocalSubscription(t, new Query(v.shape, query.window()), wakeup,
                    options.maxQueued(), this, this::closed);
            LiveWindow w = new LiveWindow(v, sub);
            w.place(p.bound(), p.backward(), query.window().limit());
            sub.attach(w);
            v.windows.add(w);
            subscriptions.incrementAndGet();
            String cause = "subscribe";
            if (resume != null) {
                try {
                    List<Frame> frames = resume(v, w, v.tokens.decode(resume, options.maxWindow()), t.seq);
                    if (frames != null) {
                        frames.add(w.ready(true, t.seq));
                        sub.offerAll(frames);
                        return sub;
                    }
                    cause = "resume_miss";
                } catch (Tokens.Refused r) {
                    cause = r.cause;
                }
            }
            sub.resetLater(cause);
            return sub;
        } finally {
            t.lock.unlock();
        }
    }

    /**
     * The splice from the state a token names to the window now, or null if it cannot be rebuilt.
     * The horizon counts from the newest state a token names: when its frame was sent.
     */
    private static List<Frame> resume(View v, LiveWindow w, Tokens.State s, long seq) {
        List<Frame> out = new ArrayList<>();
        Tokens.Range now = w.range(seq);
        long sent = switch (s) {
            case Tokens.Range r -> r.seq();
            case Tokens.PartialSplice sp -> sp.b().seq();
            case Tokens.Nested n -> n.to().seq();
        };
        if (!v.table.history.within(sent, System.nanoTime())) {
            return null;
        }
        if (s instanceof Tokens.Range r) {
            Entry[] a = v.rangeAt(r);
            if (a == null) {
                return null;
            }
            Splice.diff(a, w.rows(), r, now, v.tokens, out);
            return out;
        }
        if (s instanceof Tokens.PartialSplice sp) {
            // Exactly what the client holds, to the window now: no row it has is sent again.
            Entry[] held = held(v, sp);
            if (held == null) {
                return null;
            }
            Splice.diff(held, w.rows(), k -> new Tokens.Nested(sp, now, k), v.tokens, out);
            return out;
        }
        // Cut inside such a resume: complete it (its frames again carry Nested tokens), then
        // splice from its end to now. A row both splices touch can be sent again (documented).
        Tokens.Nested n = (Tokens.Nested) s;
        Entry[] held = held(v, n.from());
        Entry[] to = v.rangeAt(n.to());
        if (held == null || to == null) {
            return null;
        }
        Splice.diff(held, to, k -> new Tokens.Nested(n.from(), n.to(), k), v.tokens, out);
        if (n.k() > out.size()) {
            return null;
        }
        out.subList(0, n.k()).clear();
        Splice.diff(to, w.rows(), n.to(), now, v.tokens, out);
        return out;
    }

    /** The list a {@link Tokens.PartialSplice} names: its first j frames applied to its start. */
    private static Entry[] held(View v, Tokens.PartialSplice sp) {
        Entry[] a = v.rangeAt(sp.a());
        Entry[] b = v.rangeAt(sp.b());
        if (a == null || b == null) {
            return null;
        }
        List<Frame> frames = new ArrayList<>();
        Splice.diff(a, b, sp.a(), sp.b(), v.tokens, frames);
        if (sp.j() > frames.size()) {
            return null;
        }
        return Splice.prefix(a, b, frames, sp.j());
    }

    private void closed(LocalSubscription s) {
        subscriptions.decrementAndGet();
    }

    /** Optimistic scans a one-shot query tries before it scans under the table lock. */
    private static final int SCAN_ATTEMPTS = 3;

    /**
     * One-shot window. A shape somebody watches is read from its view, under the lock for the
     * few tree steps that takes. Any other shape needs a scan of the table, done without the lock
     * (a write must not wait for a reader's scan) and kept only if no write changed the rows
     * meanwhile ({@link Table#stamp}); after {@link #SCAN_ATTEMPTS} such races the scan takes the
     * lock, so a reader under constant writes still gets an answer.
     */
    @Override
    public QueryResult query(Query query) throws LiveQueryException {
        Shape shape = query.shape();
        Table t = existing(shape.table());
        if (t == null) {
            return read(new View(new Table(shape.table(), options), shape, new Tokens(signer, shape, epoch)), query);
        }
        if (t.views.containsKey(shape)) {
            t.lock.lock();
            try {
                View v = t.views.get(shape);
                if (v != null) {
                    return read(v, query);
                }
            } finally {
                t.lock.unlock();
            }
        }
        Tokens tokens = new Tokens(signer, shape, epoch);
        oneShotScans.incrementAndGet();
        for (int i = 0; i < SCAN_ATTEMPTS; i++) {
            long stamp = t.stamp;
            if ((stamp & 1) == 0) {
                View v = new View(t, shape, tokens);
                if (t.stamp == stamp) {
                    return read(v, query);
                }
            }
            Thread.onSpinWait();
        }
        t.lock.lock();
        try {
            return read(new View(t, shape, tokens), query);
        } finally {
            t.lock.unlock();
        }
    }

    /** The query's window of {@code v}. The caller holds the table lock, or {@code v} is its own. */
    private QueryResult read(View v, Query query) throws LiveQueryException {
        Placement p = placement(v, query.window());
        LiveWindow w = new LiveWindow(v, null);
        w.place(p.bound(), p.backward(), query.window().limit());
        List<Row> rows = new ArrayList<>(w.size());
        List<String> cursors = new ArrayList<>(w.size());
        for (Entry e : w.rows()) {
            rows.add(e.row());
            cursors.add(e.key().cursor(v.tokens));
        }
        Frame.Ready ready = w.ready(false, 0); // only its has_more flags are used; its eid is dropped
        return new QueryResult(rows, cursors, ready.hasMoreBefore(), ready.hasMoreAfter());
    }

    @Override
    public WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write)
            throws LiveQueryException {
        ObjectNode data = Rows.copy(id, row);
        String json = Rows.checkSize(id, data, options.maxRowBytes());
        // The after-image of a put is its body: refused before a table is made for it.
        Access.checkAfter(write, id, data);
        if (ifMatch != null && existing(table) == null) {
            checkVersion(id, null, ifMatch);
        }
        Table t = locked(table);
        try {
            Row cur = t.rows.get(id);
            Access.checkBefore(write, table, id, cur == null ? null : cur.data());
            checkVersion(id, cur, ifMatch);
            return new WriteResult(id, t.apply(id, cur, s -> new Row(id, s, data, json)), false);
        } finally {
            t.lock.unlock();
        }
    }

    @Override
    public WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write)
            throws LiveQueryException {
        Rows.checkPatch(id, fields);
        return new WriteResult(id, onExisting(table, id, ifMatch, write, cur -> {
            return Rows.merge(id, cur.data(), fields);
        }), false);
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
        Table t = lockedExisting(table);
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
        Table t = existing(table);
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
            check(table);
            return List.of(); // nothing to write: the table does not come into being
        }
        for (ObjectNode r : rows) {
            Access.checkAfter(write, r.get("id").textValue(), r);
        }
        if (!deletes.isEmpty() && existing(table) == null) {
            throw Access.notFoundInBatch(table, deletes.get(0));
        }
        Table t = locked(table);
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

    @Override
    public boolean ready() {
        return !closed;
    }

    @Override
    public Map<String, Long> gauges() {
        // No table lock: a scrape must not queue behind writes (or hold them up), and sizes of
        // concurrent maps are exact enough for a gauge.
        long views = 0;
        long rows = 0;
        long history = 0;
        for (Table t : tables.values()) {
            views += t.views.size();
            rows += t.rows.size();
            history += t.history.bytes();
        }
        return Map.of("views", views, "subscriptions", subscriptions.get(), "tables", (long) tables.size(),
                "rows", rows, "one_shot_scans", oneShotScans.get(), "history_bytes", history);
    }

    @Override
    public void close() {
        closed = true;
    }

    /** The table if it was ever written or watched; reads and refused writes create nothing. */
    private Table existing(String name) throws LiveQueryException {
        check(name);
        return tables.get(name);
    }

    /**
     * The table, created if need be, with its lock held. A table made for a subscription alone is
     * dropped again when its last view goes ({@link #dropIfUnused}); a caller that found it just
     * before that sees it dropped once it holds the lock, and takes the new one.
     */
    private Table locked(String name) throws LiveQueryException {
        // A table that exists passed the name checks when it was made: skip the regex per write.
        if (name == null || closed || !tables.containsKey(name)) {
            check(name);
        }
        while (true) {
            Table t = tables.computeIfAbsent(name, n -> new Table(n, options));
            t.lock.lock();
            if (!t.dropped) {
                return t;
            }
            t.lock.unlock();
        }
    }

    /** The table with its lock held, or null when it does not exist; creates nothing. */
    private Table lockedExisting(String name) throws LiveQueryException {
        check(name);
        while (true) {
            Table t = tables.get(name);
            if (t == null) {
                return null;
            }
            t.lock.lock();
            if (!t.dropped) {
                return t;
            }
            t.lock.unlock();
        }
    }

    /**
     * Drops a table that was never written and that nobody watches any more (PROTOCOL §1: a table
     * comes into being on its first write; a subscription to one that does not exist yet holds it
     * only while it lasts). A table that was written is kept, since its versions and history must
     * go on from where they are. Called under the table's lock.
     */
    void dropIfUnused(Table t) {
        if (t.seq == 0 && t.rows.isEmpty() && t.views.isEmpty() && !t.dropped) {
            t.dropped = true;
            tables.remove(t.name, t);
        }
    }

    private void check(String name) throws LiveQueryException {
        if (closed) {
            throw new LiveQueryException(UNAVAILABLE, "the backend is shutting down");
        }
        Query.table(name);
        if (!options.tables().isEmpty() && !options.tables().contains(name)) {
            throw new LiveQueryException(UNKNOWN_TABLE, "table '" + name + "' is not in livequery.tables.allow");
        }
    }

    private static void checkVersion(String id, Row cur, Long ifMatch) throws LiveQueryException {
        if (ifMatch != null && (cur == null || cur.version() != ifMatch)) {
            throw new LiveQueryException(VERSION_MISMATCH, "row '" + id + "' is "
                    + (cur == null ? "absent" : "at version " + cur.version()) + ", not at version " + ifMatch);
        }
    }

}
