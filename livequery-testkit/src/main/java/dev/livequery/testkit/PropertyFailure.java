package dev.livequery.testkit;

/**
 * A property failed. The message leads with the seed that replays the failing try and the
 * shrunk value, then the shrunk value's failure; that failure is also the cause.
 */
public final class PropertyFailure extends AssertionError {
    private static final int MAX_ORIGINAL = 2000;

    private final long seed;
    private final int tryNo;
    private final transient Object original;
    private final transient Object shrunk;

    PropertyFailure(
            long seed,
            int tryNo,
            Object original,
            Throwable originalFailure,
            Object shrunk,
            Throwable shrunkFailure,
            int steps) {
        super(message(seed, tryNo, original, originalFailure, shrunk, shrunkFailure, steps), shrunkFailure);
        this.seed = seed;
        this.tryNo = tryNo;
        this.original = original;
        this.shrunk = shrunk;
    }

    /** The seed of the failing try: {@code -Dlivequery.seed=} this replays it. */
    public long seed() {
        return seed;
    }

    /** Which try failed, from 1. */
    public int tryNo() {
        return tryNo;
    }

    /** The value as generated. */
    public Object original() {
        return original;
    }

    /** The simplest failing value the shrinker found. */
    public Object shrunk() {
        return shrunk;
    }

    private static String message(
            long seed,
            int tryNo,
            Object original,
            Throwable originalFailure,
            Object shrunk,
            Throwable shrunkFailure,
            int steps) {
        String o = String.valueOf(original);
        return "property failed on try " + tryNo + ", seed " + seed + " (replay: -Dlivequery.seed=" + seed + ")\n"
                + "shrunk in " + steps + " steps to: " + shrunk + "\n"
                + "generated: " + (o.length() > MAX_ORIGINAL ? o.substring(0, MAX_ORIGINAL) + "…" : o) + "\n"
                + "generated value's failure: " + firstLine(originalFailure) + "\n"
                + "shrunk value's failure: " + shrunkFailure;
    }

    private static String firstLine(Throwable t) {
        String s = String.valueOf(t);
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " …";
    }
}
