package dev.livequery.core;

import java.util.Arrays;
import java.util.List;

/**
 * One subscription's window over its view, kept exact change by change.
 *
 * <h2>The incremental step</h2>
 * A change moves at most one row of the view: it leaves its old key and/or takes a new one. The
 * new window is then the old one with (1) the row removed if it was inside, (2) the row inserted
 * if its new key falls strictly inside what remains, (3) the last row (first, for a backward
 * window) trimmed if the window is one too long, (4) the next row of the view pulled in at the
 * edge if it is one short. A removal and an insertion of the same row become one {@code move}
 * (or {@code update} when the index does not change), including the case where (4) pulls in the
 * very row (1) removed.
 *
 * <h2>Why tokens stay small</h2>
 * After each of those frames the client holds consecutive rows of the view as of this change:
 * step (1) leaves a gap only when (2) refills it in the same frame, and (3) and (4) act at the
 * edges. So a {@link Tokens.Range} names every state this class leaves a client in.
 *
 * <p>Guarded by the table's lock.
 */
final class LiveWindow {
    final View view;
    final LocalSubscription sub;
    private Key bound;
    private boolean backward;
    private int limit;
    private Entry[] rows = new Entry[8];
    // No array of the rows' prefixes beside them: it made searches read fewer rows, but cost
    // ~420 B per subscription (over the 2 KB target), and only windows a change touches search.
    private int size;
    /**
     * {@link Key#prefix} of the first and last row (when size > 0) and of the bound (when set):
     * a full window rejects a change that misses it from its own fields, without following a
     * pointer to any row, and most changes miss most windows.
     */
    private long lo;

    private long hi;
    private long bp;
    /**
     * {@link Tokens.Range#anchor} of the first row (when size > 0), kept with {@link #lo}: every
     * frame names the window's state, whose anchor is otherwise read through the first row, its
     * key and its id string.
     */
    private String firstAnchor;

    LiveWindow(View view, LocalSubscription sub) {
        this.view = view;
        this.sub = sub;
    }

    /** Places the window and loads its rows from the view; sends nothing. */
    void place(Key bound, boolean backward, int limit) {
        this.bound = bound;
        this.backward = backward;
        this.limit = limit;
        this.bp = bound == null ? 0 : bound.prefix;
        size = 0;
        if (rows.length < Math.min(limit + 1, 64)) {
            rows = new Entry[Math.min(limit + 1, 64)];
        }
        Entry e;
        while (size < limit && (e = neighbour()) != null) {
            insertAt(backward ? 0 : size, e);
        }
    }

    /** Re-places the window where it was, after its view was rebuilt. */
    void reload() {
        place(bound, backward, limit);
    }

    Entry[] rows() {
        return Arrays.copyOf(rows, size);
    }

    int size() {
        return size;
    }

    Tokens.Range range(long seq) {
        return Tokens.Range.of(seq, rows, size, firstAnchor);
    }

    /**
     * One change of the view: the row left {@code oldKey} (its entry {@code old}) and/or took
     * {@code newKey} (entry {@code after}, which follows {@code prev} in the view now).
     */
    void apply(Key oldKey, Entry old, Key newKey, Entry after, Entry prev, long seq) {
        if (size == limit && size > 0 && misses(oldKey) && missesNew(newKey)) {
            return; // full, the old key is outside the rows and the new one cannot enter
        }
        int removed = -1;
        Entry gone = null;
        // Most changes miss most windows: two comparisons with the edges settle that before any search.
        // (The edges' prefixes are at hand: a row is read only when a prefix ties.)
        if (oldKey != null && size > 0 && cmpAt(0, lo, oldKey) <= 0 && cmpAt(size - 1, hi, oldKey) >= 0) {
            int i = find(old);
            if (i < 0) {
                i = indexOf(oldKey);
            }
            if (i >= 0) {
                gone = rows[i];
                removeAt(i);
                removed = i;
            }
        }
        if (newKey != null
                && size > 0
                && inBound(newKey)
                && (backward ? cmpAt(0, lo, newKey) < 0 : cmpAt(size - 1, hi, newKey) > 0)) {
            int j = find(prev) + 1; // the rows are a run of the view: after prev, if prev is one
            if (j == 0) {
                j = -indexOf(newKey) - 1;
            }
            insertAt(j, after);
            if (gone != null) {
                emit(
                        removed == j
                                ? WindowFrames.update(after, j, view.tokens, state(seq))
                                : WindowFrames.move(after, removed, j, view.tokens, state(seq)),
                        seq);
                return;
            }
            emit(WindowFrames.enter(after, j, view.tokens, state(seq)), seq);
            if (size > limit) {
                int at = backward ? 0 : size - 1;
                Entry out = removeAt(at);
                emit(WindowFrames.leave(out.id(), out.row().version(), at, view.tokens, state(seq)), seq);
            }
            return;
        }
        if (gone != null) {
            Entry next = neighbour();
            // the row itself, pulled back in at the edge (the view holds one entry per row)
            if (next != null && next == after) {
                int at = backward ? 0 : size;
                insertAt(at, next);
                emit(
                        removed == at
                                ? WindowFrames.update(next, at, view.tokens, state(seq))
                                : WindowFrames.move(next, removed, at, view.tokens, state(seq)),
                        seq);
                return;
            }
            emit(WindowFrames.leave(gone.id(), seq, removed, view.tokens, state(seq)), seq);
        }
        Entry next;
        while (size < limit && (next = neighbour()) != null) {
            int at = backward ? 0 : size;
            insertAt(at, next);
            emit(WindowFrames.enter(next, at, view.tokens, state(seq)), seq);
        }
    }

    /** reset + the whole window + ready, as of change {@code seq}. */
    void snapshot(String cause, long seq, List<Frame> out) {
        Tokens t = view.tokens;
        out.add(view.share(WindowFrames.reset(cause, t.epoch, t, Tokens.Range.empty(seq)), seq));
        for (int i = 0; i < size; i++) {
            out.add(view.share(WindowFrames.enter(rows[i], i, t, Tokens.Range.of(seq, rows, i + 1)), seq));
        }
        out.add(view.share(ready(false, seq), seq));
    }

    Frame.Ready ready(boolean resumed, long seq) {
        var tree = view.tree;
        boolean before;
        boolean after;
        if (backward) {
            after = tree.hasAtOrAbove(bound);
            before = size == limit && tree.lower(rows[0].key()) != null;
        } else {
            before = bound != null && tree.hasAtOrBelow(bound);
            after = size == limit && tree.higher(rows[size - 1].key()) != null;
        }
        return WindowFrames.ready(before, after, resumed, view.tokens, range(seq));
    }

    /** Moves the window; returns the splice from the old rows to the new ones, then ready. */
    void reanchor(Key bound, boolean backward, int limit, long seq, List<Frame> out) {
        Entry[] old = rows();
        Tokens.Range a = range(seq);
        place(bound, backward, limit);
        Splice.diff(old, rows(), a, range(seq), view.tokens, out);
        out.add(ready(false, seq));
    }

    private Tokens.State state(long seq) {
        return range(seq);
    }

    private void emit(Frame f, long seq) {
        sub.offer(view.share(f, seq));
    }

    /** True when k is certainly outside [first, last] (prefixes are monotone). */
    private boolean misses(Key k) {
        return k == null || k.prefix < lo || k.prefix > hi;
    }

    /** True when k certainly cannot be inserted: beyond the open edge, or not past the bound. */
    private boolean missesNew(Key k) {
        if (k == null) {
            return true;
        }
        if (backward) {
            return k.prefix < lo || bound != null && k.prefix > bp;
        }
        return k.prefix > hi || bound != null && k.prefix < bp;
    }

    private boolean inBound(Key k) {
        if (bound == null) {
            return true;
        }
        int c = view.shape.order.compare(k, bound);
        return backward ? c < 0 : c > 0;
    }

    /** The row of the view just beyond the window's open edge, or null. */
    private Entry neighbour() {
        var tree = view.tree;
        if (backward) {
            return tree.lower(size == 0 ? bound : rows[0].key());
        } else if (size == 0) {
            return bound == null ? tree.first() : tree.higher(bound);
        }
        return tree.higher(rows[size - 1].key());
    }

    /** Windows up to this size find an entry by scanning for it rather than by binary search. */
    private static final int SCAN = 64;

    /**
     * The index of entry {@code e} (by identity), or -1 when it is not here or the window is too
     * large to scan. A window holds entries of its view's tree, so a row's entry is found by
     * comparing references in this array alone, where a binary search reads ~log2(size) entries
     * scattered over the heap (a cache miss apiece).
     */
    private int find(Entry e) {
        if (e == null || size > SCAN) {
            return -1;
        }
        for (int i = 0; i < size; i++) {
            if (rows[i] == e) {
                return i;
            }
        }
        return -1;
    }

    /** Binary search: the index, or -(insertion point) - 1. */
    private int indexOf(Key k) {
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = cmp(mid, k);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }

    /** rows[i] compared with k, by prefix when that decides. */
    private int cmp(int i, Key k) {
        Entry r = rows[i];
        long p = r.prefix();
        if (p != k.prefix) {
            return p < k.prefix ? -1 : 1;
        }
        return view.shape.order.compare(r.key(), k);
    }

    /** rows[i], whose prefix is {@code p} (an edge's: {@link #lo}, {@link #hi}), compared with k. */
    private int cmpAt(int i, long p, Key k) {
        if (p != k.prefix) {
            return p < k.prefix ? -1 : 1;
        }
        return view.shape.order.compare(rows[i].key(), k);
    }

    private void insertAt(int i, Entry e) {
        if (size == rows.length) {
            rows = Arrays.copyOf(rows, Math.max(8, size * 2));
        }
        System.arraycopy(rows, i, rows, i + 1, size - i);
        rows[i] = e;
        size++;
        // only an edge that changed is updated: reading the other would be a cache miss
        if (i == 0) {
            lo = e.prefix();
            firstAnchor = Tokens.Range.anchor(e);
        }
        if (i == size - 1) {
            hi = e.prefix();
        }
    }

    private Entry removeAt(int i) {
        Entry e = rows[i];
        System.arraycopy(rows, i + 1, rows, i, size - i - 1);
        rows[--size] = null;
        if (size > 0 && i == 0) {
            lo = rows[0].prefix();
            firstAnchor = Tokens.Range.anchor(rows[0]);
        }
        if (size > 0 && i == size) {
            hi = rows[size - 1].prefix();
        }
        return e;
    }
}
