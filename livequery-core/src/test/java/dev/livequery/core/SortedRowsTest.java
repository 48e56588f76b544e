package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link SortedRows} against a {@link TreeMap} under the same order, and {@link Key#prefix}
 * against the full comparison: seeded random keys of every value kind, dense enough that
 * prefixes tie, through enough inserts and removals to split, drop and merge blocks.
 */
class SortedRowsTest {
    private static final String[] STRINGS = {
        "", "a", "ab", "abc", "abcd", "abce", "b", "\uE000", "\uD83D\uDE00", "\uD83D\uDE00x", "\uFFFF", "zzzz"
    };

    private static ObjectNode row(SplittableRandom rnd, String id) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", id);
        switch (rnd.nextInt(9)) {
            case 0 -> {} // missing
            case 1 -> o.putNull("x");
            case 2 -> o.put("x", rnd.nextBoolean());
            case 3 ->
                o.put(
                        "x",
                        new BigDecimal(rnd.nextInt(40) - 20)
                                .movePointLeft(1)
                                .add(rnd.nextBoolean() ? BigDecimal.ZERO : BigDecimal.valueOf(-(1L << 25))));
            case 4 -> o.put("x", rnd.nextBoolean() ? Long.MAX_VALUE - rnd.nextInt(3) : (1L << 25) - 2 + rnd.nextInt(4));
            case 5 -> o.put("x", (double) rnd.nextInt(5));
            case 6 -> o.put("x", STRINGS[rnd.nextInt(STRINGS.length)]);
            default -> o.put("x", rnd.nextInt(30) - 15);
        }
        o.put("y", rnd.nextInt(3));
        if (rnd.nextBoolean()) {
            o.put("z", STRINGS[rnd.nextInt(STRINGS.length)]);
        }
        return o;
    }

    @Test
    void agreesWithATreeMap() throws Exception {
        for (String orderText : new String[] {"x", "-x,y", "", "-y", "y,-x", "y,x,-z", "-z,y"}) {
            long seed = new SplittableRandom().nextLong();
            try {
                run(Order.parseCompact(orderText), seed);
            } catch (AssertionError e) {
                throw new AssertionError("order '" + orderText + "', seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    private static void run(Order order, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        SortedRows rows = new SortedRows(order);
        TreeMap<Key, Entry> tree = new TreeMap<>(order);
        Map<String, Key> byId = new java.util.HashMap<>();
        List<Key> probes = new ArrayList<>();
        for (int step = 0; step < 6000; step++) {
            String id = "r" + rnd.nextInt(step < 4000 ? 2000 : 300);
            Key old = byId.remove(id);
            if (old != null) {
                assertThat(rows.remove(old)).isTrue();
                tree.remove(old);
            }
            if (step < 4000 || rnd.nextInt(3) == 0) {
                Row r = new Row(id, step, row(rnd, id));
                Key k = order.key(r);
                Entry prev = rows.add(new Entry(k, r));
                assertThat(prev)
                        .isEqualTo(
                                tree.lowerEntry(k) == null
                                        ? null
                                        : tree.lowerEntry(k).getValue());
                tree.put(k, new Entry(k, r));
                byId.put(id, k);
                probes.add(k);
            }
            if (step % 500 == 0 || step > 5900) {
                check(order, rows, tree, probes, rnd);
            }
        }
    }

    private static void check(
            Order order, SortedRows rows, TreeMap<Key, Entry> tree, List<Key> probes, SplittableRandom rnd) {
        assertThat(rows.size()).isEqualTo(tree.size());
        assertThat(rows.first())
                .isEqualTo(tree.isEmpty() ? null : tree.firstEntry().getValue());
        List<Entry> all = new ArrayList<>();
        rows.ascendingFrom(null).forEachRemaining(all::add);
        assertThat(all).containsExactlyElementsOf(tree.values());
        List<Key> sample = new ArrayList<>();
        for (int i = 0; i < 300 && !probes.isEmpty(); i++) {
            sample.add(probes.get(rnd.nextInt(probes.size())));
        }
        for (Key a : sample) {
            for (Key b : sample) {
                assertThat(Integer.signum(order.compare(a, b)))
                        .as("prefix compare of %s, %s", a.id, b.id)
                        .isEqualTo(Integer.signum(fullCompare(order, a, b)));
            }
        }
        for (int i = 0; i < 200 && !probes.isEmpty(); i++) {
            Key k = probes.get(rnd.nextInt(probes.size()));
            Key other = probes.get(rnd.nextInt(probes.size()));
            int full = Integer.signum(fullCompare(order, k, other));
            assertThat(Integer.signum(order.compare(k, other)))
                    .as("prefix compare of %s, %s", k.id, other.id)
                    .isEqualTo(full);
            assertThat(rows.higher(k)).isEqualTo(value(tree.higherEntry(k)));
            assertThat(rows.lower(k)).isEqualTo(value(tree.lowerEntry(k)));
            assertThat(rows.hasAtOrAbove(k)).isEqualTo(tree.ceilingKey(k) != null);
            assertThat(rows.hasAtOrBelow(k)).isEqualTo(tree.floorKey(k) != null);
            assertThat(first(rows.ascendingFrom(k), 3))
                    .containsExactlyElementsOf(
                            first(tree.tailMap(k, true).values().iterator(), 3));
            assertThat(first(rows.descendingBelow(k), 3))
                    .containsExactlyElementsOf(first(
                            tree.headMap(k, false).descendingMap().values().iterator(), 3));
        }
    }

    /**
     * A number's prefix code for a value in (-1, 1) is the floor's without arithmetic on the scale:
     * a value like {@code 1e-20000000} used to be floored by {@code setScale}, which computes
     * 10^scale, under the table lock: 10 s for that one on the old code, run by hand, and an
     * {@code ArithmeticException} (10^scale overflows BigInteger) for {@code 1e-999999999}.
     */
    @Test
    void extremeExponentsGetTheCodeOfTheirNeighbours() throws Exception {
        Order asc = Order.parseCompact("x");
        Order desc = Order.parseCompact("-x");
        String[][] sameCode = {
            {"1e-999999999", "0.5"},
            {"1e-20000000", "0.5"},
            {"-1e-999999999", "-0.5"},
            {"1e-2147483647", "0.000001"},
            {"-9.99e-2147483000", "-0.999"},
            {"1e999999999", "1e400"},
            {"-1e999999999", "-1e400"}
        };
        for (String[] pair : sameCode) {
            for (Order o : new Order[] {asc, desc}) {
                Key extreme = o.key(new Row("a", 1, Fixtures.obj("{'x':" + pair[0] + "}")));
                Key near = o.key(new Row("a", 1, Fixtures.obj("{'x':" + pair[1] + "}")));
                assertThat(extreme.prefix)
                        .as("prefix of %s vs %s", pair[0], pair[1])
                        .isEqualTo(near.prefix);
            }
        }
        // and the order stays exact around them
        String[] ascending = {"-1", "-0.5", "-1e-999999999", "0", "1e-999999999", "0.5", "1", "1e999999999"};
        for (int i = 0; i < ascending.length; i++) {
            for (int j = 0; j < ascending.length; j++) {
                Key a = asc.key(new Row("a", 1, Fixtures.obj("{'x':" + ascending[i] + "}")));
                Key b = asc.key(new Row("b", 1, Fixtures.obj("{'x':" + ascending[j] + "}")));
                assertThat(Integer.signum(asc.compare(a, b)))
                        .as("%s vs %s", ascending[i], ascending[j])
                        .isEqualTo(i == j ? -1 : Integer.compare(i, j)); // equal values: id a < b
            }
        }
    }

    /** The order without the prefix shortcut. */
    private static int fullCompare(Order order, Key a, Key b) {
        Key pa = new Key(a.values, a.id, 0);
        Key pb = new Key(b.values, b.id, 0);
        return order.compare(pa, pb);
    }

    private static Entry value(Map.Entry<Key, Entry> e) {
        return e == null ? null : e.getValue();
    }

    private static List<Entry> first(Iterator<Entry> it, int n) {
        List<Entry> out = new ArrayList<>();
        while (it.hasNext() && out.size() < n) {
            out.add(it.next());
        }
        return out;
    }
}
