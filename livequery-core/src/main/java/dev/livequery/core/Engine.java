package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.UNKNOWN_TABLE;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The incremental engine: tables of rows with their change history, the views (one per shape)
 * and windows (one per subscription) over them, and the frames that keep windows exact. It does
 * not number writes: changes come in already numbered ({@link #ingest}, {@link #restore}), or
 * from {@link LocalBackend}, which sequences writes in this process on top of it.
 *
 * <p>Who uses it: {@link LocalBackend} (the embedded backend), a shard (one engine per partition
 * it owns, fed from the partition's change stream) and the Redis backend's one-shot queries (a
 * throwaway engine over a table read from Redis).
 *
 * <p>History lives as long as the engine; tokens name its {@code epoch}, so processes that share
 * a history (the cluster's shards, over one Redis dataset) share the epoch and their tokens are
 * interchangeable, while a restarted process has a new one and its old tokens resume as
 * {@code reset epoch} (with a configured secret) or {@code resume_miss} (without one).
 */
public final class Engine implements AutoCloseable {
    private final EngineOptions options;
    private final Signer signer;
    private final int epoch;
    private final Map<String, Table> tables = new ConcurrentHashMap<>();
    /** Entries all views hold ({@code livequery.limits.max-view-rows}). */
    private final ViewBudget viewBudget;

    private final AtomicLong subscriptions = new AtomicLong();
    /** One-shot queries that had to scan a table (no view of their shape): a metric for operators. */
    private final AtomicLong oneShotScans = new AtomicLong();

    private volatile boolean closed;

    /** An engine with a history of its own (a random epoch). */
    public Engine(EngineOptions options) {
        this(options, new SecureRandom().nextInt() & Integer.MAX_VALUE);
    }

    /** An engine over a history identified by {@code epoch}. */
    public Engine(EngineOptions options, int epoch) {
        this.options = options;
        this.signer =
                new Signer(options.secret(), options.previousSecret(), options.previousOverlap(), System::nanoTime);
        this.epoch = epoch;
        this.viewBudget = new ViewBudget(options.maxViewRows());
    }

    // ---- changes numbered elsewhere ----------------------------------------------------------

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
            t.applyAt(
                    id, t.rows.get(id), after == null ? null : new Row(id, version, Rows.copyFed(id, after)), version);
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
                        Row after = c.after() == null ? null : new Row(c.id(), v, Rows.copyFed(c.id(), c.after()));
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
                v.restored(cause);
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

    // ---- reads -------------------------------------------------------------------------------

    /** {@link Backend#subscribe}: a window of the query's view, its frames queued in the subscription. */
    public Subscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException {
        Scan scan = unlockedView(query.shape());
        Table t = locked(query.shape().table());
        try {
            View v = t.view(query.shape(), signer, epoch, scan == null ? null : scan.ifCurrent(t));
            View.Placement p;
            try {
                p = v.placement(query.window());
            } catch (LiveQueryException e) {
                t.release(v);
                dropIfUnused(t);
                throw e;
            }
            // The view's shape, not the caller's equal copy: a subscription then costs its window only.
            LocalSubscription sub = new LocalSubscription(
                    t, new Query(v.shape, query.window()), wakeup, options.maxQueued(), this::closed);
            LiveWindow w = v.attach(sub, p, query.window().limit());
            subscriptions.incrementAndGet();
            String cause = "subscribe";
            if (resume != null) {
                try {
                    List<Frame> frames = Resume.splice(v, w, v.tokens.decode(resume, options.maxWindow()), t.seq);
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
     * A new shape's view, scanned from the table's rows without the lock as a one-shot query's is:
     * writes to the table must not wait for it (tens of ms for 100k rows). {@link #subscribe} keeps
     * it only if no write came between the scan and its install ({@link Table#stamp}); otherwise
     * the view is built under the lock as before. Null when the table is new, the shape is watched
     * already, the table is at its view limit, or a write was under way.
     */
    private Scan unlockedView(Shape shape) throws LiveQueryException {
        Table t = existing(shape.table());
        if (t == null || t.views.containsKey(shape) || t.views.size() >= options.maxViews()) {
            return null;
        }
        viewBudget.admit(0, t.name); // as a one-shot scan: none is built past the budget
        return Scan.of(t, shape, new Tokens(signer, shape, epoch));
    }

    /** A subscription closed (its window already detached, under the table lock). */
    private void closed(LocalSubscription s) {
        dropIfUnused(s.table());
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
    public QueryResult query(Query query) throws LiveQueryException {
        Shape shape = query.shape();
        Table t = existing(shape.table());
        if (t == null) {
            return new View(new Table(shape.table(), options, viewBudget), shape, new Tokens(signer, shape, epoch))
                    .read(query.window());
        }
        if (t.views.containsKey(shape)) {
            t.lock.lock();
            try {
                View v = t.views.get(shape);
                if (v != null) {
                    return v.read(query.window());
                }
            } finally {
                t.lock.unlock();
            }
        }
        Tokens tokens = new Tokens(signer, shape, epoch);
        // a scan's throwaway view is held while it is read: the view budget applies to it too
        viewBudget.admit(0, t.name);
        oneShotScans.incrementAndGet();
        for (int i = 0; i < SCAN_ATTEMPTS; i++) {
            Scan scan = Scan.of(t, shape, tokens);
            if (scan != null) {
                viewBudget.admit(scan.view().tree.size(), t.name);
                return scan.view().read(query.window());
            }
            Thread.onSpinWait();
        }
        t.lock.lock();
        try {
            View v = new View(t, shape, tokens);
            viewBudget.admit(v.tree.size(), t.name);
            return v.read(query.window());
        } finally {
            t.lock.unlock();
        }
    }

    // ---- the engine itself -------------------------------------------------------------------

    EngineOptions options() {
        return options;
    }

    /** False once closed. */
    public boolean ready() {
        return !closed;
    }

    /** Sizes for metrics: views, subscriptions, tables, rows, one-shot scans, history bytes. */
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
        return Map.of(
                "views",
                views,
                "view_rows",
                viewBudget.rows(),
                "subscriptions",
                subscriptions.get(),
                "tables",
                (long) tables.size(),
                "rows",
                rows,
                "one_shot_scans",
                oneShotScans.get(),
                "history_bytes",
                history);
    }

    /** Refuses everything from now on ({@code unavailable}); subscriptions stay as they are. */
    @Override
    public void close() {
        closed = true;
    }

    // ---- tables ------------------------------------------------------------------------------

    /** The table if it was ever written or watched; reads and refused writes create nothing. */
    Table existing(String name) throws LiveQueryException {
        check(name);
        return tables.get(name);
    }

    /**
     * The table, created if need be, with its lock held. A table made for a subscription alone is
     * dropped again when its last view goes ({@link #dropIfUnused}); a caller that found it just
     * before that sees it dropped once it holds the lock, and takes the new one.
     */
    Table locked(String name) throws LiveQueryException {
        // A table that exists passed the name checks when it was made: skip the regex per write.
        if (name == null || closed || !tables.containsKey(name)) {
            check(name);
        }
        while (true) {
            Table t = tables.get(name);
            if (t == null) {
                // only here: the capturing lambda is an allocation per write otherwise
                t = tables.computeIfAbsent(name, n -> new Table(n, options, viewBudget));
            }
            t.lock.lock();
            if (!t.dropped) {
                return t;
            }
            t.lock.unlock();
        }
    }

    /** The table with its lock held, or null when it does not exist; creates nothing. */
    Table lockedExisting(String name) throws LiveQueryException {
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
    private void dropIfUnused(Table t) {
        if (t.seq == 0 && t.rows.isEmpty() && t.views.isEmpty() && !t.dropped) {
            t.dropped = true;
            tables.remove(t.name, t);
        }
    }

    /** Refuses a closed engine, a bad table name and a table outside {@code livequery.tables.allow}. */
    void check(String name) throws LiveQueryException {
        if (closed) {
            throw new LiveQueryException(UNAVAILABLE, "the backend is shutting down");
        }
        Query.table(name);
        if (!options.allows(name)) {
            throw new LiveQueryException(UNKNOWN_TABLE, "table '" + name + "' is not in livequery.tables.allow");
        }
    }
}
