package dev.livequery.testkit;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Minimizes a failing choice sequence: tries simpler sequences and keeps each that still fails,
 * until no edit helps or the budget is spent. Simpler means shorter, then lexicographically
 * smaller; every kept sequence is simpler than the last, so shrinking always ends. The edits, most
 * effective first: drop a whole list element (an operation of a scenario), drop a few consecutive
 * choices, set a few to zero, lower one toward zero.
 */
final class Shrinker {
    /** One replay of a candidate: what it generated and how that fared. */
    record Attempt(long[] choices, List<int[]> spans, Object value, Throwable failure) {
        boolean failed() {
            return failure != null;
        }
    }

    private final Function<long[], Attempt> replay;
    private final int maxRuns;
    private final long deadline;
    private Attempt best;
    private int runs;
    private int steps;

    /** {@code replay}: generates from a choice sequence and runs the property on the value. */
    Shrinker(Function<long[], Attempt> replay, Attempt failing, int maxRuns, long deadlineNanos) {
        this.replay = replay;
        this.best = failing;
        this.maxRuns = maxRuns;
        this.deadline = deadlineNanos;
    }

    /** The simplest failing attempt found. */
    Attempt shrink() {
        boolean progress = true;
        while (progress && !spent()) {
            progress = dropSpans() | dropChunks() | zeroChunks() | lowerValues();
        }
        return best;
    }

    /** Simplifications kept. */
    int steps() {
        return steps;
    }

    private boolean dropSpans() {
        boolean progress = false;
        // last element first: indices of earlier spans stay valid after a drop
        for (int i = best.spans().size() - 1; i >= 0 && !spent(); i--) {
            if (i >= best.spans().size()) {
                continue;
            }
            int[] span = best.spans().get(i);
            progress |= tryWithout(span[0], span[1]);
        }
        return progress;
    }

    private boolean dropChunks() {
        boolean progress = false;
        for (int k = 8; k >= 1; k /= 2) {
            for (int i = best.choices().length - k; i >= 0 && !spent(); i--) {
                progress |= tryWithout(i, i + k);
            }
        }
        return progress;
    }

    private boolean zeroChunks() {
        boolean progress = false;
        for (int k = 8; k >= 2; k /= 2) {
            for (int i = best.choices().length - k; i >= 0 && !spent(); i--) {
                long[] c = best.choices().clone();
                if (i + k <= c.length && Arrays.stream(c, i, i + k).anyMatch(v -> v != 0)) {
                    Arrays.fill(c, i, i + k, 0);
                    progress |= tryCandidate(c);
                }
            }
        }
        return progress;
    }

    /** Each choice: zero, else the smallest value a binary search finds that still fails. */
    private boolean lowerValues() {
        boolean progress = false;
        for (int i = best.choices().length - 1; i >= 0 && !spent(); i--) {
            if (i >= best.choices().length || best.choices()[i] == 0) {
                continue;
            }
            if (tryValue(i, 0)) {
                progress = true;
                continue;
            }
            long lo = 0; // known to pass (or to change the shape of the value)
            long hi = best.choices()[i]; // known to fail
            while (hi - lo > 1 && !spent() && i < best.choices().length && best.choices()[i] == hi) {
                long mid = lo + (hi - lo) / 2;
                if (tryValue(i, mid)) {
                    hi = mid;
                    progress = true;
                } else {
                    lo = mid;
                }
            }
        }
        return progress;
    }

    private boolean tryValue(int i, long v) {
        long[] c = best.choices().clone();
        c[i] = v;
        return tryCandidate(c);
    }

    private boolean tryWithout(int from, int to) {
        long[] c = best.choices();
        if (to > c.length) {
            return false;
        }
        long[] shorter = new long[c.length - (to - from)];
        System.arraycopy(c, 0, shorter, 0, from);
        System.arraycopy(c, to, shorter, from, c.length - to);
        return tryCandidate(shorter);
    }

    private boolean tryCandidate(long[] candidate) {
        runs++;
        Attempt a = replay.apply(candidate);
        if (a.failed() && simpler(a.choices(), best.choices())) {
            best = a;
            steps++;
            return true;
        }
        return false;
    }

    private boolean spent() {
        return runs >= maxRuns || System.nanoTime() - deadline > 0;
    }

    static boolean simpler(long[] a, long[] b) {
        if (a.length != b.length) {
            return a.length < b.length;
        }
        return Arrays.compare(a, b) < 0;
    }
}
