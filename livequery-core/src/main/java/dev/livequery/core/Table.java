package dev.livequery.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;

/**
 * One table: its rows, its change history and its views.
 *
 * <p>One lock per table orders everything that touches it: a write, the frames it causes in
 * every window, subscribes, reanchors and resumes. Frames of a subscription are therefore made
 * in change order without any further coordination, and a window is always exact as of the last
 * change. Readers of a single row ({@code get}) do not take the lock.
 *
 * <h2>Change routing</h2>
 * Each view is filed under one {@code eq}/{@code in} term of its where (field → value → views);
 * views without one are scanned. A change looks up the before- and after-image's value of each
 * filed field, so a write touches only views that could match either image.
 */
final class Table {
    final String name;
    final ReentrantLock lock = new ReentrantLock();
    final Map<String, Row> rows = new ConcurrentHashMap<>();
    final History history;
    /** Concurrent so a one-shot query can see whether a view exists without the lock; changed under it. */
    final Map<Shape, View> views = new ConcurrentHashMap<>();
    /** Last change number; also the version the last write got (versions are per-table sequence numbers). */
    long seq;
    /**
     * A seqlock over {@link #rows}: odd while a change is being made to them, bumped twice per
     * change. A reader that scans the rows without the lock keeps what it saw only if the stamp was
     * even and the same before and after. Written under the lock only.
     */
    volatile long stamp;
    /** Removed from the backend (never written, nobody watching): whoever locks it next looks again. */
    boolean dropped;

    private final int maxViews;
    /** The engine's budget of view entries, all tables' views together. */
    final ViewBudget budget;
    /**
     * Entries the views gained (or lost) by the change being routed: summed here, a plain field
     * under the lock, and added to {@link #budget} once after the change.
     */
    long viewRows;
    /** The largest window a query of this table may ask for ({@link View#placement}). */
    final int maxWindow;

    // Routing is read at every change and changed only when a view comes or goes, so it is kept
    // as arrays (copied on change): iterating the sets it used to be allocated an iterator per set
    // per change. Views keep the order they came in, as the sets did.
    /** A field views are filed under, and by value the views filed under it. */
    private record Filed(String field, Map<Object, View[]> byValue) {}

    private Filed[] index = new Filed[0];

    /**
     * Names the current set of routed fields: replaced whenever a field is filed or unfiled, so
     * routing values a row kept ({@link Row#routeIn}) for another set are not used.
     */
    private Object routeToken = new Object();

    private View[] unindexed = new View[0];
    private final List<View> touched = new ArrayList<>();

    Table(String name, EngineOptions options, ViewBudget budget) {
        this.name = name;
        this.budget = budget;
        this.history = new History(options);
        this.maxViews = options.maxViews();
        this.maxWindow = options.maxWindow();
    }

    /** Subscriptions given frames while {@link #holding}; they see them at {@link #releaseFrames}. */
    private final Set<LocalSubscription> held = new LinkedHashSet<>();
    /** True while an atomic multi-change step runs: frames are queued but not yet drainable. */
    boolean holding;

    /** Starts an atomic step (under the lock): frames offered from now on stay invisible to drains. */
    void holdFrames() {
        holding = true;
    }

    /** Called by a subscription that queued a frame while {@link #holding}. */
    void held(LocalSubscription s) {
        held.add(s);
    }

    /** Ends an atomic step: every frame it caused becomes drainable at once. */
    void releaseFrames() {
        holding = false;
        for (LocalSubscription s : held) {
            s.release();
        }
        held.clear();
    }

    /** Applies one write (after == null deletes) and returns the new row version. */
    long apply(String id, Row before, LongFunction<Row> after) {
        long s = seq + 1;
        applyAt(id, before, after.apply(s), s);
        return s;
    }

    /** Applies an upsert of {@code data} (its JSON text {@code json}) and returns the new row version. */
    long put(String id, Row before, ObjectNode data, String json) {
        long s = seq + 1; // no LongFunction: a capturing lambda per write otherwise
        applyAt(id, before, new Row(id, s, data, json), s);
        return s;
    }

    /** Applies a change numbered {@code s} (> {@link #seq}), which is also the row's version. */
    void applyAt(String id, Row before, Row after, long s) {
        stamp++;
        seq = s;
        if (after == null) {
            rows.remove(id);
        } else {
            rows.put(id, after);
        }
        stamp++;
        history.add(s, id, before, after, System.nanoTime());
        route(before, after, s);
    }

    private void route(Row before, Row after, long s) {
        touched.clear();
        for (View v : unindexed) {
            touch(v, s, View.WAS | View.IS);
        }
        Filed[] index = this.index;
        int n = index.length;
        if (n > 0) {
            // The before-image's values were kept on it when it was stored (if for this routing):
            // its object is not walked. The after-image's are read (it was just made: in cache)
            // and kept on it for the change that will replace it.
            Object was = before == null ? null : before.routeIn(routeToken);
            Object[] values = n == 1 ? null : new Object[n];
            Object value = null;
            for (int f = 0; f < n; f++) {
                Filed filed = index[f];
                Map<Object, View[]> byValue = filed.byValue();
                if (before != null) {
                    Object v = was == null
                            ? Values.of(before.data().get(filed.field()))
                            : n == 1 ? was : ((Object[]) was)[f];
                    touchAll(byValue.get(v), s, View.WAS);
                }
                if (after != null) {
                    value = Values.of(after.data().get(filed.field()));
                    if (values != null) {
                        values[f] = value;
                    }
                    touchAll(byValue.get(value), s, View.IS);
                }
            }
            if (after != null) {
                after.routed(routeToken, values == null ? value : values);
            }
        }
        for (int i = 0, k = touched.size(); i < k; i++) {
            touched.get(i).apply(before, after, s);
        }
        if (viewRows != 0) {
            budget.add(viewRows);
            viewRows = 0;
        }
    }

    private void touchAll(View[] vs, long s, int image) {
        if (vs != null) {
            for (View v : vs) {
                touch(v, s, image);
            }
        }
    }

    /**
     * Offers change {@code s} to {@code v}, noting which image's routing found it ({@link View#WAS},
     * {@link View#IS}): an image whose routing value did not find a view cannot match it.
     */
    private void touch(View v, long s, int image) {
        if (v.touched != s) {
            v.touched = s;
            v.routedBy = image;
            touched.add(v);
        } else {
            v.routedBy |= image;
        }
    }

    /**
     * The view of {@code shape}, made if need be. Views cost memory and a match per routed change
     * each, so a table has at most {@code maxViews} of them; a new shape past that is refused.
     * {@code scanned}: a view of {@code shape} built from the rows as they are now (without the
     * lock, see {@link Engine#subscribe}), which saves the scan; or null.
     */
    View view(Shape shape, Signer signer, int epoch, View scanned) throws LiveQueryException {
        View v = views.get(shape);
        if (v == null) {
            if (views.size() >= maxViews) {
                throw new LiveQueryException(
                        LiveQueryException.Code.TOO_MANY_SUBS,
                        "table '" + name + "' has "
                                + views.size()
                                + " distinct live queries (shapes), the most livequery.limits.max-views allows; "
                                + "subscribe to one of the shapes already watched, or raise the limit");
            }
            v = scanned != null ? scanned : new View(this, shape, new Tokens(signer, shape, epoch));
            budget.admit(v.tree.size(), name);
            budget.add(v.tree.size());
            views.put(shape, v);
            Where.Term t = shape.indexTerm();
            if (t == null) {
                unindexed = with(unindexed, v);
            } else {
                Map<Object, View[]> byValue = byValue(t.field());
                for (Object value : t.in() != null ? t.in() : Set.of(t.operand())) {
                    View[] vs = byValue.get(value);
                    byValue.put(value, vs == null ? new View[] {v} : with(vs, v));
                }
            }
        }
        return v;
    }

    /** Drops a view nobody watches any more, so memory follows the live shapes. */
    void release(View v) {
        if (!v.windows.isEmpty() || views.get(v.shape) != v) {
            return;
        }
        views.remove(v.shape);
        budget.add(-v.tree.size());
        Where.Term t = v.shape.indexTerm();
        if (t == null) {
            unindexed = without(unindexed, v);
            return;
        }
        int f = filed(t.field());
        Map<Object, View[]> byValue = index[f].byValue();
        for (Object value : t.in() != null ? t.in() : Set.of(t.operand())) {
            View[] vs = without(byValue.get(value), v);
            if (vs.length == 0) {
                byValue.remove(value);
            } else {
                byValue.put(value, vs);
            }
        }
        if (byValue.isEmpty()) {
            routeToken = new Object();
            Filed[] out = new Filed[index.length - 1];
            System.arraycopy(index, 0, out, 0, f);
            System.arraycopy(index, f + 1, out, f, index.length - f - 1);
            index = out;
        }
    }

    /** The views filed under {@code field}, by value; made (empty) if none is yet. */
    private Map<Object, View[]> byValue(String field) {
        int f = filed(field);
        if (f >= 0) {
            return index[f].byValue();
        }
        Map<Object, View[]> m = new HashMap<>();
        routeToken = new Object();
        index = Arrays.copyOf(index, index.length + 1);
        index[index.length - 1] = new Filed(field, m);
        return m;
    }

    /** The fields changes are routed by now, in index order (for tests). Under the lock. */
    List<String> routedFields() {
        return Arrays.stream(index).map(Filed::field).toList();
    }

    /** What rows' routing values must have been kept for to be used now ({@link Row#routeIn}; for tests). */
    Object routeToken() {
        return routeToken;
    }

    private int filed(String field) {
        for (int f = 0; f < index.length; f++) {
            if (index[f].field().equals(field)) {
                return f;
            }
        }
        return -1;
    }

    private static View[] with(View[] vs, View v) {
        View[] out = Arrays.copyOf(vs, vs.length + 1);
        out[vs.length] = v;
        return out;
    }

    private static View[] without(View[] vs, View v) {
        int i = Arrays.asList(vs).indexOf(v);
        if (i < 0) {
            return vs;
        }
        View[] out = new View[vs.length - 1];
        System.arraycopy(vs, 0, out, 0, i);
        System.arraycopy(vs, i + 1, out, i, vs.length - i - 1);
        return out;
    }
}
