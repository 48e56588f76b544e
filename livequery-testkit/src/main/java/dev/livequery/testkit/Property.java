package dev.livequery.testkit;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

/**
 * Runs a check on many generated values: {@code Property.forAll(gen).tries(1000).check(v -> ...)}.
 * On the first failure it shrinks the value and throws a {@link PropertyFailure} that names the
 * seed of the failing try; {@code -Dlivequery.seed=<seed>} then generates that very value again
 * as the first try (and runs only that one, unless {@code -Dlivequery.tries} is given too).
 *
 * <p>System properties: {@code livequery.tries} overrides every property's tries (longer or
 * shorter runs without code changes), {@code livequery.seed} fixes the seed,
 * {@code livequery.shrinkSeconds} (default 60) and {@code livequery.shrinkRuns} (default 5000)
 * bound the shrinking.
 */
public final class Property<T> {
    /** The check run on each value; any exception or assertion error is a failure. */
    @FunctionalInterface
    public interface Check<T> {
        void accept(T value) throws Exception;
    }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final Gen<T> gen;
    private int tries = 1000;
    private Long seed;

    private Property(Gen<T> gen) {
        this.gen = gen;
    }

    public static <T> Property<T> forAll(Gen<T> gen) {
        return new Property<>(gen);
    }

    /** Tries when {@code -Dlivequery.tries} is not given; 1000 if never set. */
    public Property<T> tries(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("tries " + n + " (must be at least 1)");
        }
        this.tries = n;
        return this;
    }

    /**
     * Fixes the seed in code, over {@code -Dlivequery.seed}, and the tries to {@link #tries}'s,
     * over {@code -Dlivequery.tries}: a run that does not depend on how it was started, for the
     * harness's own tests.
     */
    public Property<T> seed(long s) {
        this.seed = s;
        return this;
    }

    /** The number of tries this property will run, after the system properties. */
    public int effectiveTries() {
        Integer fromProperty = Integer.getInteger("livequery.tries");
        if (fromProperty != null && seed == null) {
            return Math.max(1, fromProperty);
        }
        return seedFromProperty() != null && seed == null ? 1 : tries;
    }

    public void check(Check<? super T> check) {
        Long fixed = seed != null ? seed : seedFromProperty();
        long base = fixed != null ? fixed : new SecureRandom().nextLong();
        int n = effectiveTries();
        for (int i = 0; i < n; i++) {
            long trySeed = i == 0 ? base : mix(base + i * GOLDEN);
            Source source = Source.random(trySeed);
            T value = gen.generate(source);
            Throwable failure = run(check, value);
            if (failure != null) {
                Shrinker.Attempt first = new Shrinker.Attempt(source.choices(), source.spans(), value, failure);
                Shrinker shrinker = new Shrinker(
                        choices -> replay(check, choices),
                        first,
                        Integer.getInteger("livequery.shrinkRuns", 5000),
                        System.nanoTime()
                                + Duration.ofSeconds(Long.getLong("livequery.shrinkSeconds", 60))
                                        .toNanos());
                Shrinker.Attempt shrunk = shrinker.shrink();
                throw new PropertyFailure(
                        trySeed, i + 1, value, failure, shrunk.value(), shrunk.failure(), shrinker.steps());
            }
        }
    }

    private Shrinker.Attempt replay(Check<? super T> check, long[] choices) {
        Source source = Source.replay(choices);
        T value;
        try {
            value = gen.generate(source);
        } catch (RuntimeException e) {
            return new Shrinker.Attempt(choices, List.of(), null, null); // not a value: never kept
        }
        return new Shrinker.Attempt(source.choices(), source.spans(), value, run(check, value));
    }

    private static <T> Throwable run(Check<? super T> check, T value) {
        try {
            check.accept(value);
            return null;
        } catch (Exception | AssertionError e) {
            return e;
        }
    }

    private static Long seedFromProperty() {
        String s = System.getProperty("livequery.seed");
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "-Dlivequery.seed=" + s + ": not a long (use the seed a failure printed)");
        }
    }

    /** SplitMix64's finalizer: neighbouring tries get unrelated seeds. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
