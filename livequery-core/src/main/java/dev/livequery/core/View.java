package dev.livequery.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * The rows of one shape, in order, shared by every window of that shape (PROTOCOL §2: one view
 * per shape). A change is matched and keyed once here, then offered to each window.
 *
 * <p>Guarded by the table's lock.
 */
final class View {
    final Table table;
    final Shape shape;
    final Tokens tokens;
    final SortedRows tree;
    final List<LiveWindow> windows = new ArrayList<>();
    /**
     * What rows remember their key in this view under ({@link Row#keyed}): a token, not the view,
     * so a row outliving the view pins a key, never the view's rows. Only changes set it (not
     * {@link #reload}), so a one-shot query's throwaway view claims no row.
     */
    private final Object keys = new Object();
    /** The change this view last saw, so routing offers each change once. */
    long touched = -1;

    /** Routing found this view by the before-image's value ({@link #WAS}), the after-image's ({@link #IS}), or both. */
    static final int WAS = 1;

    static final int IS = 2;
    /** Which images' routing found this view at change {@link #touched}: an image it did not find cannot match. */
    int routedBy;
    /** Frames made at the last change, so windows in the same state share one frame object. */
    private final SharedFrames shared = new SharedFrames();

    /**
     * {@code f}, or an identical frame another window of this view already made at change
     * {@code seq} ({@link SharedFrames}).
     */
    Frame share(Frame f, long seq) {
        return shared.share(f, seq);
    }

    /** Where a window starts: after (or, {@code backward}, before) {@code bound}; from the top when null. */
    record Placement(Key bound, boolean backward) {}

    /** Decodes and checks a window against this view's shape and the window limit. */
    Placement placement(Window w) throws LiveQueryException {
        if (w.limit() > table.maxWindow) {
            throw new LiveQueryException(
                    LiveQueryException.Code.BAD_QUERY,
                    "limit " + w.limit() + " is over the maximum window of " + table.maxWindow);
        }
        if (w.after() != null) {
            return new Placement(Cursors.decode(tokens.signer, shape, w.after()), false);
        }
        if (w.before() != null) {
            return new Placement(Cursors.decode(tokens.signer, shape, w.before()), true);
        }
        return new Placement(null, false);
    }

    /**
     * A one-shot query's answer: window {@code w} of this view as it is now, with its cursors. The
     * caller holds the table lock, or this view is its own (a scan's).
     */
    QueryResult read(Window w) throws LiveQueryException {
        Placement p = placement(w);
        LiveWindow lw = new LiveWindow(this, null);
        lw.place(p.bound(), p.backward(), w.limit());
        List<Row> rows = new ArrayList<>(lw.size());
        List<String> cursors = new ArrayList<>(lw.size());
        for (Entry e : lw.rows()) {
            rows.add(e.row());
            cursors.add(e.key().cursor(tokens));
        }
        Frame.Ready ready = lw.ready(false, 0); // only its has_more flags are used; its eid is dropped
        return new QueryResult(rows, cursors, ready.hasMoreBefore(), ready.hasMoreAfter());
    }

    /**
     * A new window of {@code sub}, placed at {@code p}, that this view keeps exact from now on.
     * Sends nothing: the subscription decides between a snapshot and a resume splice.
     */
    LiveWindow attach(LocalSubscription sub, Placement p, int limit) {
        LiveWindow w = new LiveWindow(this, sub);
        w.place(p.bound(), p.backward(), limit);
        sub.attach(w);
        windows.add(w);
        return w;
    }

    /** The window's subscription ended: the view forgets it, and leaves its table once nobody watches it. */
    void detach(LiveWindow w) {
        windows.remove(w);
        table.release(this);
    }

    View(Table table, Shape shape, Tokens tokens) {
        this.table = table;
        this.shape = shape;
        this.tokens = tokens;
        this.tree = new SortedRows(shape.order);
        reload();
    }

    /**
     * The table's rows were replaced ({@link Engine#restore}): rebuilds the rows, re-places every
     * window where it was, and sends each a fresh snapshot with reset {@code cause}.
     */
    void restored(String cause) {
        long was = tree.size();
        reload();
        table.budget.add(tree.size() - was);
        for (LiveWindow w : windows) {
            w.reload();
            w.sub.resetLater(cause);
        }
    }

    /** Rebuilds the tree from the table's rows. */
    void reload() {
        pastRanges.clear();
        tree.clear();
        for (Row r : table.rows.values()) {
            if (shape.matches(r.data())) {
                Key k = shape.order.key(r);
                tree.add(new Entry(k, r));
            }
        }
    }

    void apply(Row before, Row after, long seq) {
        // A row this view keyed is in it: its key is at hand, no need to match and key it again.
        boolean mayWas = before != null && (routedBy & WAS) != 0;
        Key oldKey = mayWas ? before.keyIn(keys) : null;
        boolean was = oldKey != null || mayWas && shape.matches(before.data());
        boolean is = after != null && (routedBy & IS) != 0 && shape.matches(after.data());
        if (!was && !is) {
            return;
        }
        if (was && oldKey == null) {
            oldKey = shape.order.key(before);
        }
        Entry now = null;
        Entry old = null;
        Entry prev = null; // the entry now just before the new one
        if (oldKey != null) {
            old = tree.take(oldKey);
            if (old != null) {
                table.viewRows--;
            }
        }
        if (is) {
            Key k = shape.order.key(after);
            now = new Entry(k, after);
            prev = tree.add(now);
            table.viewRows++;
            after.keyed(keys, k);
        }
        for (int i = 0, n = windows.size(); i < n; i++) {
            windows.get(i).apply(oldKey, old, now == null ? null : now.key(), now, prev, seq);
        }
    }

    /**
     * The {@code r.count()} rows of this view as they were at change {@code r.seq()}, or null when
     * that state cannot be rebuilt (past the horizon, or the token names rows that were not there).
     */
    Entry[] rangeAt(Tokens.Range r) {
        if (r.seq() > table.seq || r.seq() < table.history.floor()) {
            return null;
        }
        if (r.count() == 0) {
            return new Entry[0];
        }
        // A past state never changes (until a restore reloads the view), and the clients of one
        // shape resume from the same few states: a reconnect storm rebuilt each one per client.
        if (pastRanges.containsKey(r)) {
            return pastRanges.get(r);
        }
        Entry[] out = rebuild(r);
        pastRanges.put(r, out);
        return out;
    }

    /** Past states rebuilt lately, by token range; callers only read the arrays. Guarded by the table lock. */
    private final Map<Tokens.Range, Entry[]> pastRanges = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        // qualified: inside a LinkedHashMap subclass, a bare Entry is Map.Entry
        protected boolean removeEldestEntry(Map.Entry<Tokens.Range, dev.livequery.core.Entry[]> eldest) {
            return size() > 8;
        }
    };

    private Entry[] rebuild(Tokens.Range r) {
        Map<String, Row> past = table.history.imagesAt(r.seq());
        Row anchor = past.containsKey(r.anchor()) ? past.get(r.anchor()) : table.rows.get(r.anchor());
        if (anchor == null || !shape.matches(anchor.data())) {
            return null;
        }
        Key ak = shape.order.key(anchor);
        TreeMap<Key, Entry> then = new TreeMap<>(shape.order);
        for (Row img : past.values()) {
            if (img != null && shape.matches(img.data())) {
                Key k = shape.order.key(img);
                then.put(k, new Entry(k, img));
            }
        }
        Entry[] out = new Entry[r.count()];
        Iterator<Entry> down = merge(
                tree.descendingBelow(ak),
                then.headMap(ak, false).descendingMap().values().iterator(),
                past,
                shape.order.reversed());
        for (int i = r.offset() - 1; i >= 0; i--) {
            if (!down.hasNext()) {
                return null;
            }
            out[i] = down.next();
        }
        Iterator<Entry> up =
                merge(tree.ascendingFrom(ak), then.tailMap(ak, true).values().iterator(), past, shape.order);
        for (int i = r.offset(); i < out.length; i++) {
            if (!up.hasNext()) {
                return null;
            }
            out[i] = up.next();
        }
        return out;
    }

    /** Merges the current rows (minus those changed since) with the changed rows' old images. */
    private static Iterator<Entry> merge(
            Iterator<Entry> now, Iterator<Entry> then, Map<String, Row> changed, Comparator<Key> order) {
        return new Iterator<>() {
            Entry a = nextUnchanged();
            Entry b = then.hasNext() ? then.next() : null;

            private Entry nextUnchanged() {
                while (now.hasNext()) {
                    Entry e = now.next();
                    if (!changed.containsKey(e.id())) {
                        return e;
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return a != null || b != null;
            }

            @Override
            public Entry next() {
                Entry r;
                if (a == null && b == null) {
                    throw new NoSuchElementException();
                }
                if (b == null || a != null && order.compare(a.key(), b.key()) < 0) {
                    r = a;
                    a = nextUnchanged();
                } else {
                    r = b;
                    b = then.hasNext() ? then.next() : null;
                }
                return r;
            }
        };
    }
}
