package dev.livequery.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The "requery + diff" baseline: no incremental views. After each change, every subscription
 * whose shape could be affected (the shapes of the row's category before and after the change)
 * re-runs its query from scratch and diffs its old window against the new one.
 *
 * <p>Deliberately the strong version of the baseline, so the engine's speedup is not flattered:
 * <ul>
 * <li>rows are plain Java objects with typed fields in a {@code HashMap} (not JSON trees), and the
 *     comparators are hand-written for the workload's four orders (int and ASCII-string compares,
 *     no generic value order);</li>
 * <li>there is a hash index on {@code cat}, the field every shape filters on, so the "filter"
 *     step visits only the ~1,000 rows of the category, not all 100,000 (a full scan per
 *     requery would be ~100x slower);</li>
 * <li>"sort + slice" is a bounded heap selection of the window's 50 rows past its bound
 *     (O(n log 50)), then a sort of those 50;</li>
 * <li>the diff is by reference (unchanged windows cost 50 pointer compares) and falls back to an
 *     id→index map only when something changed.</li>
 * </ul>
 * It does not encode frames or compute cursors/eids; compare it with the engine-only number.
 */
final class Requery {
    /** One row version; immutable, replaced on every write. */
    static final class Rec {
        final String id;
        final int cat;
        final int price;
        final int rank;
        final String name;
        final long version;

        Rec(String id, int cat, int price, int rank, String name, long version) {
            this.id = id;
            this.cat = cat;
            this.price = price;
            this.rank = rank;
            this.name = name;
            this.version = version;
        }
    }

    private static final class Slot {
        Rec rec;
        int pos;
    }

    /** A subscription: its shape, its window definition and the window it last saw. */
    static final class Sub {
        final int shape;
        final int order;
        final Workload.Kind kind;
        final Rec bound;
        Rec[] window;
        int size;

        Sub(int shape, Workload.Kind kind, Rec bound) {
            this.shape = shape;
            this.order = shape % Workload.ORDERS.length;
            this.kind = kind;
            this.bound = bound;
            this.window = new Rec[Workload.LIMIT];
        }
    }

    final Workload workload;
    private final HashMap<String, Slot> rows = new HashMap<>(Workload.ROWS * 2);
    /** The hash index on cat (cat values are 0..99, so an array of buckets). */
    @SuppressWarnings({"unchecked", "rawtypes"}) // generic arrays cannot be created; each bucket holds Slots
    private final ArrayList<Slot>[] byCat = new ArrayList[Workload.CATS];

    final List<Sub> subs = new ArrayList<>();
    final Sub[][] subsByShape = new Sub[Workload.CATS][];
    private long version;
    private Rec[] heap = new Rec[Workload.LIMIT];
    private final HashMap<String, Integer> oldPos = new HashMap<>(128);
    /** Frames the last diffs amounted to (leave + enter + move + update), for the checks. */
    long frames;
    /** Requeries run so far. */
    long requeries;

    Requery(Workload workload) {
        this.workload = workload;
        for (int c = 0; c < Workload.CATS; c++) {
            byCat[c] = new ArrayList<>(2048);
        }
        for (int r = 0; r < Workload.ROWS; r++) {
            put(workload.ids[r], workload.initial[r]);
        }
    }

    /** Subscribes the workload's windows 0..perShape-1 of every shape (cursors: positions as of now). */
    void subscribe(int perShape) {
        for (int shape = 0; shape < Workload.CATS; shape++) {
            Sub top = new Sub(shape, Workload.Kind.TOP, null);
            Rec[] all = select(top, 1000);
            Sub[] mine = new Sub[perShape];
            for (int w = 0; w < perShape; w++) {
                Workload.Kind k = Workload.KIND[w];
                Sub s = new Sub(shape, k, k == Workload.Kind.TOP ? null : all[Workload.POS[w]]);
                requery(s);
                mine[w] = s;
                subs.add(s);
            }
            subsByShape[shape] = mine;
        }
    }

    /** One change: the write, then requery + diff of every subscription of the affected shapes. */
    long change() {
        workload.next();
        put(workload.id, workload.data);
        long n = requeryShape(workload.catBefore);
        if (workload.catAfter != workload.catBefore) {
            n += requeryShape(workload.catAfter);
        }
        return n;
    }

    private long requeryShape(int shape) {
        long n = 0;
        for (Sub s : subsByShape[shape]) {
            n += requery(s);
        }
        return n;
    }

    void put(String id, ObjectNode data) {
        Rec r = new Rec(
                id,
                data.get("cat").intValue(),
                data.get("price").intValue(),
                data.get("rank").intValue(),
                data.get("name").textValue(),
                ++version);
        Slot s = rows.get(id);
        if (s == null) {
            s = new Slot();
            s.rec = r;
            rows.put(id, s);
            add(s, r.cat);
            return;
        }
        if (s.rec.cat != r.cat) {
            ArrayList<Slot> from = byCat[s.rec.cat];
            Slot last = from.remove(from.size() - 1);
            if (last != s) {
                from.set(s.pos, last);
                last.pos = s.pos;
            }
            add(s, r.cat);
        }
        s.rec = r;
    }

    private void add(Slot s, int cat) {
        s.pos = byCat[cat].size();
        byCat[cat].add(s);
    }

    /** Re-runs the subscription's query and diffs; returns the number of frames the diff means. */
    int requery(Sub s) {
        requeries++;
        Rec[] fresh = select(s, Workload.LIMIT);
        int n = fresh.length;
        int f = diff(s.window, s.size, fresh, n);
        System.arraycopy(fresh, 0, s.window, 0, n);
        s.size = n;
        frames += f;
        return f;
    }

    /** Filter (index on cat + bound) and the {@code limit} first rows in the window's direction, in view order. */
    private Rec[] select(Sub s, int limit) {
        if (heap.length < limit) {
            heap = new Rec[limit];
        }
        boolean backward = s.kind == Workload.Kind.BEFORE;
        int o = s.order;
        Rec bound = s.bound;
        int n = 0;
        ArrayList<Slot> list = byCat[s.shape];
        for (int i = 0, m = list.size(); i < m; i++) {
            Rec r = list.get(i).rec;
            if (bound != null) {
                int c = compare(o, r, bound);
                if (backward ? c >= 0 : c <= 0) {
                    continue;
                }
            }
            if (n < limit) {
                heap[n] = r;
                up(o, backward, n++);
            } else if (dir(o, backward, r, heap[0]) < 0) {
                heap[0] = r;
                down(o, backward, n);
            }
        }
        Rec[] out = java.util.Arrays.copyOf(heap, n);
        java.util.Arrays.sort(out, (a, b) -> compare(o, a, b));
        return out;
    }

    /** Max-heap in the window's direction: heap[0] is the row furthest from the bound. */
    private void up(int o, boolean backward, int i) {
        Rec x = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (dir(o, backward, heap[p], x) >= 0) {
                break;
            }
            heap[i] = heap[p];
            i = p;
        }
        heap[i] = x;
    }

    private void down(int o, boolean backward, int n) {
        Rec x = heap[0];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && dir(o, backward, heap[c + 1], heap[c]) > 0) {
                c++;
            }
            if (dir(o, backward, heap[c], x) <= 0) {
                break;
            }
            heap[i] = heap[c];
            i = c;
        }
        heap[i] = x;
    }

    private static int dir(int o, boolean backward, Rec a, Rec b) {
        int c = compare(o, a, b);
        return backward ? -c : c;
    }

    /** The workload's four orders, with the id as the final tiebreak (ids and names are ASCII). */
    static int compare(int order, Rec a, Rec b) {
        int c;
        switch (order) {
            case 0 -> c = Integer.compare(a.price, b.price);
            case 1 -> {
                c = Integer.compare(b.price, a.price);
                if (c == 0) {
                    c = a.name.compareTo(b.name);
                }
            }
            case 2 -> {
                c = Integer.compare(a.rank, b.rank);
                if (c == 0) {
                    c = Integer.compare(b.price, a.price);
                }
            }
            default -> {
                c = Integer.compare(b.rank, a.rank);
                if (c == 0) {
                    c = a.name.compareTo(b.name);
                }
                if (c == 0) {
                    c = Integer.compare(a.price, b.price);
                }
            }
        }
        return c != 0 ? c : a.id.compareTo(b.id);
    }

    /** Frames (leave/enter/move/update) from window a to window b; 0 when nothing changed. */
    private int diff(Rec[] a, int na, Rec[] b, int nb) {
        if (na == nb) {
            int i = 0;
            while (i < na && a[i] == b[i]) {
                i++;
            }
            if (i == na) {
                return 0;
            }
        }
        oldPos.clear();
        for (int i = 0; i < na; i++) {
            oldPos.put(a[i].id, i);
        }
        int kept = 0;
        int frames = 0;
        for (int i = 0; i < nb; i++) {
            Integer p = oldPos.get(b[i].id);
            if (p == null) {
                frames++; // enter
            } else {
                kept++;
                if (a[p] != b[i]) {
                    frames++; // update or move (a row whose neighbours changed but it did not is not sent)
                }
            }
        }
        return frames + (na - kept); // + leaves
    }

    /** The ids in a subscription's window, in view order. */
    static List<String> ids(Sub s) {
        List<String> out = new ArrayList<>(s.size);
        for (int i = 0; i < s.size; i++) {
            out.add(s.window[i].id);
        }
        return out;
    }
}
