package dev.livequery.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PropertyTest {
    /** Operations of a toy scenario: the failure needs a put of 3 and, later, a get of 3. */
    sealed interface Op {}

    record Put(int key) implements Op {}

    record Get(int key) implements Op {}

    record Noise(int n) implements Op {}

    static final Gen<Op> OPS = Gen.frequency(
            Gen.weight(3, Gen.ints(0, 9).map(Noise::new)),
            Gen.weight(1, Gen.ints(0, 9).map(Put::new)),
            Gen.weight(1, Gen.ints(0, 9).map(Get::new)));

    static void noGetOfAPutThree(List<Op> ops) {
        boolean put = false;
        for (Op op : ops) {
            put |= op.equals(new Put(3));
            assertThat(put && op.equals(new Get(3))).as("get 3 after put 3").isFalse();
        }
    }

    @Test
    void shrinksAFailingScenarioToTheOperationsItNeeds() {
        PropertyFailure f = catchThrowableOfType(
                PropertyFailure.class,
                () -> Property.forAll(OPS.list(0, 60)).tries(5000).seed(42).check(PropertyTest::noGetOfAPutThree));
        assertThat(f).as("the property must fail within 5000 tries").isNotNull();
        assertThat((List<?>) f.original()).hasSizeGreaterThan(2);
        assertThat(f.shrunk()).isEqualTo(List.of(new Put(3), new Get(3)));
        assertThat(f.getCause()).hasMessageContaining("get 3 after put 3");
        assertThat(f.getMessage())
                .contains("seed " + f.seed(), "-Dlivequery.seed=" + f.seed(), "shrunk in", "[Put[key=3], Get[key=3]]");
    }

    @Test
    void shrinksNumbersTowardTheSmallestThatFails() {
        PropertyFailure f = catchThrowableOfType(
                PropertyFailure.class,
                () -> Property.forAll(Gen.ints(-1000, 1000).list(0, 20))
                        .seed(7)
                        .check(xs -> assertThat(xs).allMatch(x -> x < 500)));
        assertThat(f.shrunk()).isEqualTo(List.of(500));
    }

    @Test
    void theReportedSeedReplaysTheFailingValueAsTheFirstTry() {
        Gen<List<Op>> gen = OPS.list(0, 60);
        PropertyFailure f = catchThrowableOfType(
                PropertyFailure.class,
                () -> Property.forAll(gen).tries(5000).seed(1234).check(PropertyTest::noGetOfAPutThree));
        assertThat(f.tryNo()).as("a later try, whose seed is derived").isGreaterThan(1);
        PropertyFailure again = catchThrowableOfType(
                PropertyFailure.class,
                () -> Property.forAll(gen).tries(1).seed(f.seed()).check(PropertyTest::noGetOfAPutThree));
        assertThat(again.tryNo()).isEqualTo(1);
        assertThat(again.original()).isEqualTo(f.original());
        assertThat(again.shrunk()).isEqualTo(f.shrunk());
    }

    @Test
    void theSeedSystemPropertyReplaysOneTry() {
        Gen<List<Op>> gen = OPS.list(0, 60);
        PropertyFailure f = catchThrowableOfType(
                PropertyFailure.class,
                () -> Property.forAll(gen).tries(5000).seed(99).check(PropertyTest::noGetOfAPutThree));
        List<Object> seen = new ArrayList<>();
        withProperties(Long.toString(f.seed()), null, () -> {
            Property<List<Op>> p = Property.forAll(gen).tries(5000);
            assertThat(p.effectiveTries()).isEqualTo(1);
            assertThatThrownBy(() -> p.check(ops -> {
                        seen.add(ops);
                        noGetOfAPutThree(ops);
                    }))
                    .isInstanceOf(PropertyFailure.class);
        });
        assertThat(seen.getFirst()).isEqualTo(f.original());
    }

    @Test
    void theSameSeedGeneratesTheSameValues() {
        Gen<List<Op>> gen = OPS.list(0, 20);
        List<Object> a = new ArrayList<>();
        List<Object> b = new ArrayList<>();
        Property.forAll(gen).tries(50).seed(5).check(a::add);
        Property.forAll(gen).tries(50).seed(5).check(b::add);
        assertThat(a).hasSize(50).isEqualTo(b);
        List<Object> c = new ArrayList<>();
        Property.forAll(gen).tries(50).seed(6).check(c::add);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void aPassingPropertyRunsEveryTry() {
        AtomicInteger n = new AtomicInteger();
        Property.forAll(Gen.ints(0, 3)).tries(321).seed(8).check(x -> n.incrementAndGet());
        assertThat(n).hasValue(321);
    }

    @Test
    void triesComeFromTheSystemPropertyWhenGiven() {
        AtomicInteger n = new AtomicInteger();
        withProperties(
                null, "17", () -> Property.forAll(Gen.ints(0, 3)).tries(321).check(x -> n.incrementAndGet()));
        assertThat(n).hasValue(17);
    }

    /** Runs {@code r} with livequery.seed and livequery.tries set (null: cleared), then restores both. */
    static void withProperties(String seed, String tries, Runnable r) {
        String oldSeed = System.getProperty("livequery.seed");
        String oldTries = System.getProperty("livequery.tries");
        set("livequery.seed", seed);
        set("livequery.tries", tries);
        try {
            r.run();
        } finally {
            set("livequery.seed", oldSeed);
            set("livequery.tries", oldTries);
        }
    }

    private static void set(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void exceptionsFailLikeAssertions() {
        PropertyFailure f = catchThrowableOfType(
                PropertyFailure.class,
                () -> Property.forAll(Gen.ints(0, 100)).seed(3).check(x -> {
                    if (x > 10) {
                        throw new IllegalStateException("too big: " + x);
                    }
                }));
        assertThat(f.shrunk()).isEqualTo(11);
        assertThat(f.getCause()).isInstanceOf(IllegalStateException.class).hasMessage("too big: 11");
    }

    @Test
    void rangesHoldWhenGeneratingAndWhenReplayingAnyEdit() {
        Gen<List<Object>> gen = s -> List.of(
                s.between(Long.MIN_VALUE, Long.MAX_VALUE),
                s.between(-5L, -2L),
                s.between(3L, 9L),
                s.between(-2L, 2L),
                s.between(Long.MIN_VALUE, -1L),
                Gen.bigIntegers(BigInteger.valueOf(-1000), BigInteger.TEN.pow(30))
                        .generate(s),
                Gen.bigIntegers(BigInteger.valueOf(5), BigInteger.valueOf(6)).generate(s));
        Property.forAll(gen).tries(2000).check(PropertyTest::inRange);
        // replaying arbitrary sequences (what the shrinker does) stays in range too
        Property.forAll(Gen.longs().list(0, 30)).tries(500).check(choices -> {
            long[] cs = choices.stream().mapToLong(c -> c & Long.MAX_VALUE).toArray();
            inRange(gen.generate(Source.replay(cs)));
        });
    }

    static void inRange(List<Object> v) {
        assertThat((long) v.get(1)).isBetween(-5L, -2L);
        assertThat((long) v.get(2)).isBetween(3L, 9L);
        assertThat((long) v.get(3)).isBetween(-2L, 2L);
        assertThat((long) v.get(4)).isNegative();
        assertThat((BigInteger) v.get(5)).isBetween(BigInteger.valueOf(-1000), BigInteger.TEN.pow(30));
        assertThat((BigInteger) v.get(6)).isBetween(BigInteger.valueOf(5), BigInteger.valueOf(6));
    }

    @Test
    void boundsAndZeroAreGeneratedOften() {
        List<Integer> xs = new ArrayList<>();
        Property.forAll(Gen.ints(-1_000_000, 1_000_000)).tries(2000).seed(11).check(xs::add);
        assertThat(xs).contains(-1_000_000, 0, 1_000_000);
    }
}
