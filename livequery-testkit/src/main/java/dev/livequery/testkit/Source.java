package dev.livequery.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Where a {@link Gen} takes its randomness from: a sequence of choices, each a non-negative
 * number. Generating, the choices come from a seeded random and are recorded; replaying, they are
 * read back from a recorded sequence. Every generated value is therefore a pure function of its
 * choice sequence, and the {@link Shrinker} simplifies values by editing that sequence (dropping
 * list elements, lowering numbers) without knowing anything about the values' types.
 *
 * <p>Choices are encoded so that a smaller choice means a simpler value (0 is the simplest: the
 * lower bound nearest zero, the first alternative, the end of a list), and a replayed sequence
 * that runs out reads as zeros, so any edit of a sequence still generates a value.
 */
public final class Source {
    /** A value needing more choices than this is refused (a generator that does not terminate). */
    static final int MAX_CHOICES = 1 << 20;

    private final SplittableRandom random;
    private final long[] replay;
    private long[] choices = new long[64];
    private int size;
    /** Each list element's choices [start, end), so the shrinker can drop whole elements. */
    private final List<int[]> spans = new ArrayList<>();

    private Source(SplittableRandom random, long[] replay) {
        this.random = random;
        this.replay = replay;
    }

    /** Generates from {@code seed}; the same seed draws the same choices. */
    static Source random(long seed) {
        return new Source(new SplittableRandom(seed), null);
    }

    /** Replays {@code choices}, reading zeros past their end. */
    static Source replay(long[] choices) {
        return new Source(null, choices.clone());
    }

    /** A number in [lo, hi], uniform with some weight on lo, hi and 0; shrinks toward the bound nearest 0. */
    public long between(long lo, long hi) {
        if (lo > hi) {
            throw new IllegalArgumentException("empty range [" + lo + ", " + hi + "]");
        }
        if (lo == hi) {
            return lo;
        }
        long want = random == null ? 0 : wanted(lo, hi);
        if (lo >= 0) {
            return lo + pick(hi - lo, want - lo);
        }
        if (hi < 0) {
            return hi - pick(hi - lo, hi - want);
        }
        boolean negative = pick(1, want < 0 ? 1 : 0) == 1;
        return negative ? -1 - pick(-(lo + 1), -1 - want) : pick(hi, want);
    }

    /** An int in [lo, hi]; see {@link #between(long, long)}. */
    public int between(int lo, int hi) {
        return (int) between((long) lo, (long) hi);
    }

    /** True or false, evenly; shrinks toward false. */
    public boolean bool() {
        return pick(1, random != null && random.nextBoolean() ? 1 : 0) == 1;
    }

    /** An index in [0, weights.length) drawn in proportion to the weights; shrinks toward 0. */
    public int weighted(int... weights) {
        int i = 0;
        if (random != null) {
            int total = Arrays.stream(weights).sum();
            int r = random.nextInt(total);
            while (r >= weights[i]) {
                r -= weights[i++];
            }
        }
        return (int) pick(weights.length - 1, i);
    }

    /**
     * A decision the generator makes itself when generating (e.g. "one more element", decided by a
     * size picked up front) but that is recorded like any choice, so that replay can change it.
     */
    boolean decide(boolean generated) {
        return pick(1, generated ? 1 : 0) == 1;
    }

    /** The generating random, for decisions that are not recorded; null when replaying. */
    SplittableRandom randomOrNull() {
        return random;
    }

    int mark() {
        return size;
    }

    void span(int start) {
        if (size > start) {
            spans.add(new int[] {start, size});
        }
    }

    long[] choices() {
        return Arrays.copyOf(choices, size);
    }

    List<int[]> spans() {
        return spans;
    }

    /** A choice in [0, max]: {@code generated} when generating, the recorded one (at most max) when replaying. */
    private long pick(long max, long generated) {
        long v;
        if (random != null) {
            v = generated;
        } else {
            v = size < replay.length ? Math.max(0, Math.min(replay[size], max)) : 0;
        }
        if (size == MAX_CHOICES) {
            throw new IllegalStateException("a value took more than " + MAX_CHOICES + " choices");
        }
        if (size == choices.length) {
            choices = Arrays.copyOf(choices, size * 2);
        }
        choices[size++] = v;
        return v;
    }

    private long wanted(long lo, long hi) {
        switch (random.nextInt(24)) {
            case 0 -> {
                return lo;
            }
            case 1 -> {
                return hi;
            }
            case 2 -> {
                return Math.max(lo, Math.min(hi, 0));
            }
            default -> {
                long span = hi - lo;
                if (span >= 0 && span < Long.MAX_VALUE) {
                    return lo + random.nextLong(span + 1);
                }
                while (true) { // the range is more than half of all longs: at least every other draw fits
                    long v = random.nextLong();
                    if (v >= lo && v <= hi) {
                        return v;
                    }
                }
            }
        }
    }
}
