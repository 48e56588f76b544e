package dev.livequery.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * The deterministic diff from one list of rows to another, as splice frames: what reanchor and
 * resume send. Deterministic because a {@link Tokens.PartialSplice} names "the first j frames of
 * diff(a, b)", so any process must regenerate exactly the same frames from the same lists.
 *
 * <p>Order of frames: leaves (highest index first, so indexes stay valid); then one move for
 * each kept row that changed (an update when it is already in place) or that is unchanged but
 * outside a longest increasing subsequence of target positions among the unchanged rows; then
 * enters in target order. A changed row costs one frame whatever happens, so the subsequence is
 * taken over unchanged rows only: that is what makes the splice send the fewest rows, and never an
 * unchanged row that a changed one could have moved around.
 */
final class Splice {
    private Splice() {}

    static void diff(Entry[] a, Entry[] b, Tokens.Range ra, Tokens.Range rb, Tokens t, List<Frame> out) {
        diff(a, b, j -> new Tokens.PartialSplice(ra, rb, j), t, out);
    }

    /** As above; {@code name} gives the state after the j-th frame (1-based), which its eid names. */
    static void diff(Entry[] a, Entry[] b, IntFunction<Tokens.State> name, Tokens t, List<Frame> out) {
        if (sameIds(a, b)) {
            inPlace(a, b, name, t, out);
        } else {
            general(a, b, name, t, out);
        }
    }

    /**
     * The diff between two lists of the same rows in the same order: an update for each row whose
     * version changed, by index. It is exactly what {@link #general} makes of them (no leaves; all
     * unchanged rows are the increasing subsequence; each changed row, taken in target order, moves
     * to where it is), without its maps and sets. A resume usually finds the client's window
     * like this: in a reconnect storm, most windows changed in a row or two, or not at all.
     */
    private static void inPlace(Entry[] a, Entry[] b, IntFunction<Tokens.State> name, Tokens t, List<Frame> out) {
        int j = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i].row().version() != a[i].row().version()) {
                out.add(WindowFrames.update(b[i], i, t, name.apply(++j)));
            }
        }
    }

    private static boolean sameIds(Entry[] a, Entry[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (!a[i].id().equals(b[i].id())) {
                return false;
            }
        }
        return true;
    }

    /** Any two lists (see the class comment); package-private so a test can hold the fast path to it. */
    static void general(Entry[] a, Entry[] b, IntFunction<Tokens.State> name, Tokens t, List<Frame> out) {
        Map<String, Integer> inB = new HashMap<>(b.length * 2);
        for (int i = 0; i < b.length; i++) {
            inB.put(b[i].id(), i);
        }
        int[] j = {0};
        List<Entry> c = new ArrayList<>(Arrays.asList(a));
        Set<String> inA = new HashSet<>(a.length * 2);
        for (int i = a.length - 1; i >= 0; i--) {
            inA.add(a[i].id());
            if (!inB.containsKey(a[i].id())) {
                c.remove(i);
                out.add(WindowFrames.leave(a[i].id(), a[i].row().version(), i, t, name.apply(++j[0])));
            }
        }

        Map<String, Long> versionInA = new HashMap<>(a.length * 2);
        for (Entry e : a) {
            versionInA.put(e.id(), e.row().version());
        }
        // Target positions of the unchanged kept rows; changed rows are sent anyway, so they move.
        int[] target = new int[c.size()];
        int[] at = new int[c.size()];
        int unchanged = 0;
        for (int i = 0; i < c.size(); i++) {
            int bi = inB.get(c.get(i).id());
            if (b[bi].row().version() == versionInA.get(b[bi].id())) {
                target[unchanged] = bi;
                at[unchanged++] = i;
            }
        }
        boolean[] lis = longestIncreasing(Arrays.copyOf(target, unchanged));
        Set<String> placed = new HashSet<>();
        for (int k = 0; k < unchanged; k++) {
            if (lis[k]) {
                placed.add(c.get(at[k]).id());
            }
        }
        List<Integer> moving = new ArrayList<>();
        for (Entry e : c) {
            if (!placed.contains(e.id())) {
                moving.add(inB.get(e.id()));
            }
        }
        moving.sort(null);
        for (int bi : moving) {
            Entry m = b[bi];
            int p = 0;
            while (!c.get(p).id().equals(m.id())) {
                p++;
            }
            c.remove(p);
            int q = 0;
            for (int k = 0; k < c.size(); k++) {
                if (placed.contains(c.get(k).id()) && inB.get(c.get(k).id()) < bi) {
                    q = k + 1;
                }
            }
            c.add(q, m);
            placed.add(m.id());
            out.add(
                    p == q
                            ? WindowFrames.update(m, q, t, name.apply(++j[0]))
                            : WindowFrames.move(m, p, q, t, name.apply(++j[0])));
        }

        for (int i = 0; i < b.length; i++) {
            if (!inA.contains(b[i].id())) {
                c.add(i, b[i]);
                out.add(WindowFrames.enter(b[i], i, t, name.apply(++j[0])));
            }
        }
    }

    /**
     * The list a client holds after applying the first {@code j} of {@code frames} (a diff from
     * {@code a} to {@code b}) to {@code a}: rows that enter, move or update are {@code b}'s.
     */
    static Entry[] prefix(Entry[] a, Entry[] b, List<Frame> frames, int j) {
        Map<String, Entry> inB = new HashMap<>(b.length * 2);
        for (Entry e : b) {
            inB.put(e.id(), e);
        }
        List<Entry> c = new ArrayList<>(Arrays.asList(a));
        for (int i = 0; i < j; i++) {
            switch (frames.get(i)) {
                case Frame.Leave f -> c.remove(f.oldIndex());
                case Frame.Enter f -> c.add(f.newIndex(), inB.get(f.id()));
                case Frame.Update f -> c.set(f.newIndex(), inB.get(f.id()));
                case Frame.Move f -> {
                    c.remove(f.oldIndex());
                    c.add(f.newIndex(), inB.get(f.id()));
                }
                case Frame f -> throw new IllegalStateException("not a splice frame: " + f.op());
            }
        }
        return c.toArray(new Entry[0]);
    }

    /** Marks one longest strictly increasing subsequence (patience sorting, O(n log n)). */
    static boolean[] longestIncreasing(int[] x) {
        int n = x.length;
        int[] tails = new int[n];
        int[] prev = new int[n];
        int len = 0;
        for (int i = 0; i < n; i++) {
            int lo = 0;
            int hi = len;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (x[tails[mid]] < x[i]) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            prev[i] = lo > 0 ? tails[lo - 1] : -1;
            tails[lo] = i;
            if (lo == len) {
                len++;
            }
        }
        boolean[] in = new boolean[n];
        for (int i = len == 0 ? -1 : tails[len - 1]; i >= 0; i = prev[i]) {
            in[i] = true;
        }
        return in;
    }
}
