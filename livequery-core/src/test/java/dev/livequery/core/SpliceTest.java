package dev.livequery.core;

import static dev.livequery.testkit.Gen.weight;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.testkit.Gen;
import dev.livequery.testkit.Property;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link Splice#diff} must make exactly the frames {@link Splice#general} makes (a token names
 * "the first j frames of the diff", which every process must regenerate alike), and those frames
 * must turn the first list into the second. Lists of the same rows in the same order, which take
 * the fast path, are drawn as often as any others.
 */
class SpliceTest {
    private static final int TRIES = 1000;

    /** Row {@code id} at {@code version}. */
    record R(int id, int version) {}

    record Scenario(List<R> a, List<R> b) {}

    static Gen<Scenario> scenarios() {
        Gen<List<Integer>> versions = Gen.ints(1, 3).list(0, 12);
        Gen<Boolean> bump = Gen.frequency(weight(3, Gen.constant(false)), weight(1, Gen.constant(true)));
        Gen<Integer> other = Gen.ints(0, 19);
        Gen<Integer> kind = Gen.ints(0, 2);
        return s -> {
            List<R> a = new ArrayList<>();
            List<Integer> vs = versions.generate(s);
            for (int i = 0; i < vs.size(); i++) {
                a.add(new R(i, vs.get(i)));
            }
            List<R> b = new ArrayList<>();
            for (R r : a) {
                b.add(bump.generate(s) ? new R(r.id(), r.version() + 1) : r);
            }
            switch (kind.generate(s)) {
                case 0 -> {} // same rows, same order: the fast path
                case 1 -> { // a row moves
                    if (!b.isEmpty()) {
                        R r = b.remove(other.generate(s) % b.size());
                        b.add(other.generate(s) % (b.size() + 1), r);
                    }
                }
                default -> { // a row leaves, another enters
                    if (!b.isEmpty()) {
                        b.remove(other.generate(s) % b.size());
                    }
                    b.add(other.generate(s) % (b.size() + 1), new R(100 + other.generate(s), 1));
                }
            }
            return new Scenario(a, b);
        };
    }

    @Test
    void theFastPathMakesTheGeneralDiffsFrames() {
        AtomicInteger sameOrder = new AtomicInteger();
        AtomicInteger withUpdates = new AtomicInteger();
        Property<Scenario> property = Property.forAll(scenarios()).tries(TRIES);
        property.check(sc -> {
            Entry[] a = entries(sc.a());
            Entry[] b = entries(sc.b());
            List<Frame> fast = new ArrayList<>();
            List<Frame> general = new ArrayList<>();
            Splice.diff(a, b, SpliceTest::state, null, fast);
            Splice.general(a, b, SpliceTest::state, null, general);
            assertThat(describe(fast)).isEqualTo(describe(general));
            assertThat(rows(Splice.prefix(a, b, fast, fast.size()))).isEqualTo(rows(b));
            if (sc.a().stream()
                    .map(R::id)
                    .toList()
                    .equals(sc.b().stream().map(R::id).toList())) {
                sameOrder.incrementAndGet();
                if (!fast.isEmpty()) {
                    withUpdates.incrementAndGet();
                }
            }
        });
        if (property.effectiveTries() >= TRIES) {
            assertThat(sameOrder.get()).as("same-order pairs drawn").isGreaterThan(TRIES / 5);
            assertThat(withUpdates.get())
                    .as("same-order pairs with changed rows")
                    .isGreaterThan(TRIES / 10);
        }
    }

    private static Tokens.State state(int j) {
        return new Tokens.Range(j, "j", 0, 1);
    }

    private static Entry[] entries(List<R> rows) {
        Entry[] out = new Entry[rows.size()];
        for (int i = 0; i < out.length; i++) {
            String id = "r" + rows.get(i).id();
            out[i] = new Entry(
                    new Key(new Object[0], id, 0), new Row(id, rows.get(i).version(), null));
        }
        return out;
    }

    private static List<String> rows(Entry[] es) {
        List<String> out = new ArrayList<>();
        for (Entry e : es) {
            out.add(e.id() + "@" + e.row().version());
        }
        return out;
    }

    private static List<String> describe(List<Frame> frames) {
        List<String> out = new ArrayList<>();
        for (Frame f : frames) {
            Frame.RowFrame r = (Frame.RowFrame) f;
            String where = switch (f) {
                case Frame.Move m -> m.oldIndex() + ">" + m.newIndex();
                case Frame.Placed p -> "@" + p.newIndex();
                case Frame.Leave l -> "<" + l.oldIndex();
                default -> "?";
            };
            out.add(f.op() + " " + r.id() + " v" + r.version() + " " + where + " " + f.windowState());
        }
        return out;
    }
}
