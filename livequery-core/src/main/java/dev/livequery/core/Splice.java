package dev.livequery.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The deterministic diff from one list of rows to another, as splice frames: what reanchor and
 * resume send. Deterministic because a {@link Tokens.Splice} names "the first j frames of
 * diff(a, b)", so any process must regenerate exactly the same frames from the same lists.
 *
 * <p>Order of frames: leaves (highest index first, so indexes stay valid), then one move for
 * each kept row outside a longest increasing subsequence of target positions (the rows that
 * keep their relative order are never touched), then enters in target order, then updates for
 * kept rows whose version changed. Rows that are in both lists and unchanged are not sent.
 */
final class Splice {
    private Splice() {
    }

    static void diff(Entry[] a, Entry[] b, Tokens.Range ra, Tokens.Range rb, Tokens t, List<Frame> out) {
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
                out.add(Frame.leave(a[i].id(), a[i].row().version(), i, t, state(ra, rb, j)));
            }
        }

        int[] target = new int[c.size()];
        for (int i = 0; i < target.length; i++) {
            target[i] = inB.get(c.get(i).id());
        }
        boolean[] stable = longestIncreasing(target);
        Set<String> placed = new HashSet<>();
        List<Integer> moving = new ArrayList<>();
        for (int i = 0; i < target.length; i++) {
            if (stable[i]) {
                placed.add(c.get(i).id());
            } else {
                moving.add(target[i]);
            }
        }
        moving.sort(null);
        Set<String> moved = new HashSet<>();
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
            moved.add(m.id());
            out.add(Frame.move(m, p, q, t, state(ra, rb, j)));
        }

        Map<String, Long> versionInA = new HashMap<>(a.length * 2);
        for (Entry e : a) {
            versionInA.put(e.id(), e.row().version());
        }
        for (int i = 0; i < b.length; i++) {
            if (!inA.contains(b[i].id())) {
                c.add(i, b[i]);
                out.add(Frame.enter(b[i], i, t, state(ra, rb, j)));
            }
        }
        for (int i = 0; i < b.length; i++) {
            Long v = versionInA.get(b[i].id());
            if (v != null && v != b[i].row().version() && !moved.contains(b[i].id())) {
                c.set(i, b[i]);
                out.add(Frame.update(b[i], i, t, state(ra, rb, j)));
            }
        }
    }

    private static Tokens.State state(Tokens.Range ra, Tokens.Range rb, int[] j) {
        return new Tokens.Splice(ra, rb, ++j[0]);
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
