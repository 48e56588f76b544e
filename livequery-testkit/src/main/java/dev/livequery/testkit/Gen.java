package dev.livequery.testkit;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A generator of test values: a function of a {@link Source}. Generators compose as plain code
 * ({@code s -> new Put(id.generate(s), value.generate(s))}: Java evaluates arguments left to
 * right, so the order of draws is fixed); shrinking needs nothing from them, since it works on the
 * source's choices. Simpler choices give simpler values: the first alternative, the bound
 * nearest zero, shorter lists.
 */
@FunctionalInterface
public interface Gen<T> {
    T generate(Source source);

    default <R> Gen<R> map(Function<? super T, ? extends R> f) {
        return s -> f.apply(generate(s));
    }

    /**
     * Lists of {@code min..max} elements, sizes spread evenly. Each element is a unit the shrinker
     * can drop; that is how a failing sequence of operations loses the operations it does not need.
     */
    default Gen<List<T>> list(int min, int max) {
        if (min < 0 || min > max) {
            throw new IllegalArgumentException("list size range [" + min + ", " + max + "]");
        }
        return s -> {
            int target = s.randomOrNull() == null
                    ? 0
                    : switch (s.randomOrNull().nextInt(12)) {
                        case 0 -> min;
                        case 1 -> max;
                        default -> min + s.randomOrNull().nextInt(max - min + 1);
                    };
            List<T> out = new ArrayList<>();
            while (out.size() < max) {
                int start = s.mark();
                if (out.size() >= min && !s.decide(out.size() < target)) {
                    break;
                }
                out.add(generate(s));
                s.span(start);
            }
            return out;
        };
    }

    static Gen<Integer> ints(int lo, int hi) {
        return s -> s.between(lo, hi);
    }

    /** Every long; shrinks toward 0. */
    static Gen<Long> longs() {
        return s -> s.between(Long.MIN_VALUE, Long.MAX_VALUE);
    }

    static Gen<Boolean> booleans() {
        return Source::bool;
    }

    /**
     * Integers in [lo, hi], spread evenly over bit lengths first (so small and huge magnitudes are
     * both common), then over the values of that length; shrinks toward 0.
     */
    static Gen<BigInteger> bigIntegers(BigInteger lo, BigInteger hi) {
        if (lo.compareTo(hi) > 0) {
            throw new IllegalArgumentException("empty range [" + lo + ", " + hi + "]");
        }
        int maxBits = Math.max(lo.bitLength(), hi.bitLength());
        return s -> {
            boolean negative = lo.signum() < 0 && (hi.signum() < 0 || s.bool());
            int bits = s.between(0, maxBits);
            BigInteger magnitude = BigInteger.ZERO;
            for (int done = 0; done < bits; done += 62) {
                int n = Math.min(62, bits - done);
                magnitude = magnitude.shiftLeft(n).or(BigInteger.valueOf(s.between(0L, (1L << n) - 1)));
            }
            BigInteger v = negative ? magnitude.negate() : magnitude;
            // out of range (a bit length the bounds allow only in part): fold back into it
            if (v.compareTo(lo) < 0 || v.compareTo(hi) > 0) {
                BigInteger width = hi.subtract(lo).add(BigInteger.ONE);
                v = lo.add(v.subtract(lo).mod(width));
            }
            return v;
        };
    }

    static <T> Gen<T> constant(T value) {
        return s -> value;
    }

    /** One of the values, evenly; shrinks toward the first. */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, into an unmodifiable list
    static <T> Gen<T> elements(T... values) {
        List<T> vs = Arrays.stream(values).toList();
        return s -> vs.get(s.between(0, vs.size() - 1));
    }

    /** One of the generators, evenly; shrinks toward the first. */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, into an unmodifiable list
    static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
        List<Gen<? extends T>> gs = Arrays.stream(gens).toList();
        return s -> gs.get(s.between(0, gs.size() - 1)).generate(s);
    }

    /** One of the generators, in proportion to the weights; shrinks toward the first. */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, into an unmodifiable list
    static <T> Gen<T> frequency(Weighted<? extends T>... alternatives) {
        List<Weighted<? extends T>> as = Arrays.stream(alternatives).toList();
        int[] weights = as.stream().mapToInt(Weighted::weight).toArray();
        return s -> as.get(s.weighted(weights)).gen().generate(s);
    }

    static <T> Weighted<T> weight(int weight, Gen<T> gen) {
        return new Weighted<>(weight, gen);
    }

    /** Strings of up to {@code maxLength} code points drawn from {@code codePoints}. */
    static Gen<String> strings(Gen<Integer> codePoints, int maxLength) {
        Gen<List<Integer>> cps = codePoints.list(0, maxLength);
        return s -> {
            StringBuilder b = new StringBuilder();
            cps.generate(s).forEach(b::appendCodePoint);
            return b.toString();
        };
    }

    /**
     * Strings of up to {@code maxPieces} pieces drawn from {@code pieces}, joined: texts built from
     * the fragments a parser or a pattern cares about; shrinks by dropping pieces.
     */
    static Gen<String> joined(Gen<String> pieces, int maxPieces) {
        return pieces.list(0, maxPieces).map(l -> String.join("", l));
    }

    /** An alternative of {@link #frequency}. */
    record Weighted<T>(int weight, Gen<T> gen) {
        public Weighted {
            if (weight <= 0) {
                throw new IllegalArgumentException("weight " + weight + " (must be positive)");
            }
            Objects.requireNonNull(gen);
        }
    }
}
