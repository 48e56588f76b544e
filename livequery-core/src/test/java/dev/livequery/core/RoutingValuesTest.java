package dev.livequery.core;

import static dev.livequery.testkit.Gen.weight;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.Gen;
import dev.livequery.testkit.Property;
import dev.livequery.testkit.Replica;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The routing values a stored row keeps ({@link Row#routeIn}) against its data, while views on
 * other fields come and go (so the set of routed fields changes under rows that keep values for
 * an older set), rows move between values, lose the field, and are deleted: every value kept for
 * the current routing equals what the row's object holds, and every live window equals a
 * brute-force filter of the rows, so no change was routed past a view it concerns.
 *
 * <p>A failure names the seed that replays it ({@code -Dlivequery.seed=…}) and the shrunk list of
 * operations.
 */
class RoutingValuesTest {
    private static final String[] WHERES = {
        "{'a': 1}", "{'a': 2}", "{'b': 0}", "{'b': 3}", "{'a': {'in': [0, 3]}}", "{'n': {'gt': 50}}", "{'a': 1, 'b': 1}"
    };

    private static final int IDS = 25;
    private static final int TRIES = 100;

    sealed interface Op {}

    /** Replaces row r{id}; {@code b} null leaves the field out (routed as missing). */
    record Put(int id, int a, Integer b, int n) implements Op {}

    /** Deletes row r{id} if it is stored. */
    record Delete(int id) implements Op {}

    /** Subscribes to {@code WHERES[where]}, which may file a field the rows kept no value for. */
    record Subscribe(int where) implements Op {}

    /** Closes the live subscription at {@code sub} modulo their number, which may unfile a field. */
    record Close(int sub) implements Op {}

    /** Puts first: shrinking goes toward the first alternative, and a run of puts is the plainest. */
    static Gen<List<Op>> scenarios() {
        Gen<Integer> id = Gen.ints(0, IDS - 1);
        Gen<Integer> small = Gen.ints(0, 3);
        Gen<Integer> b = Gen.frequency(weight(3, small), weight(1, Gen.constant(null)));
        Gen<Integer> n = Gen.ints(0, 99);
        Gen<Op> put = s -> new Put(id.generate(s), small.generate(s), b.generate(s), n.generate(s));
        Gen<Op> op = Gen.frequency(
                weight(15, put),
                weight(3, id.map(Delete::new)),
                weight(1, Gen.ints(0, WHERES.length - 1).map(Subscribe::new)),
                weight(1, Gen.ints(0, 99).map(Close::new)));
        return op.list(0, 300);
    }

    /** A live subscription and what it should show. */
    private record Sub(Subscription s, Replica replica, String where) {}

    @Test
    void keptValuesMatchTheRowsAndWindowsStayExact() {
        Property<List<Op>> property = Property.forAll(scenarios()).tries(TRIES);
        AtomicInteger kept = new AtomicInteger();
        AtomicInteger refiled = new AtomicInteger();
        property.check(ops -> {
            Run run = new Run();
            run.run(ops);
            kept.addAndGet(run.kept > 0 ? 1 : 0);
            refiled.addAndGet(run.refiledUnderKept ? 1 : 0);
        });
        if (property.effectiveTries() >= TRIES) {
            // a generator that stops reaching these would leave the test checking nothing
            assertThat(kept.get()).as("tries that checked kept routing values").isPositive();
            assertThat(refiled.get())
                    .as("tries that changed the routed fields under rows with kept values")
                    .isPositive();
        }
    }

    /** One scenario against a fresh engine, with the model it is checked against. */
    private static final class Run {
        final Engine engine = new Engine(EngineOptions.defaults());
        final Map<String, ObjectNode> model = new HashMap<>();
        final List<Sub> subs = new ArrayList<>();
        long version;
        int kept;
        int keptLastStep;
        boolean refiledUnderKept;

        void run(List<Op> ops) throws Exception {
            for (int step = 0; step < ops.size(); step++) {
                List<String> routedBefore = routedFields();
                switch (ops.get(step)) {
                    case Put p -> write("r" + p.id(), row(p));
                    case Delete d -> {
                        if (model.containsKey("r" + d.id())) {
                            write("r" + d.id(), null);
                        }
                    }
                    case Subscribe s -> subs.add(subscribe(WHERES[s.where()]));
                    case Close c -> {
                        if (!subs.isEmpty()) {
                            subs.remove(c.sub() % subs.size()).s().close();
                        }
                    }
                }
                int k = checkKeptValues(step);
                refiledUnderKept |= keptLastStep > 0 && !routedFields().equals(routedBefore);
                keptLastStep = k;
                kept += k;
                checkWindows(step);
            }
        }

        private void write(String id, ObjectNode after) throws LiveQueryException {
            engine.ingest("t", id, after, ++version);
            if (after == null) {
                model.remove(id);
            } else {
                model.put(id, after);
            }
        }

        private Sub subscribe(String where) throws LiveQueryException {
            Subscription s = engine.subscribe(
                    Fixtures.query("{'table': 't', 'where': " + where + ", 'order': [{'field': 'n'}], 'limit': 100}"),
                    null,
                    () -> {});
            return new Sub(s, new Replica(), where);
        }

        private List<String> routedFields() throws LiveQueryException {
            Table t = engine.existing("t");
            if (t == null) {
                return List.of();
            }
            t.lock.lock();
            try {
                return t.routedFields();
            } finally {
                t.lock.unlock();
            }
        }

        /** Checks every kept value of the current routing against the row; returns how many rows had them. */
        private int checkKeptValues(int step) throws LiveQueryException {
            Table t = engine.existing("t");
            if (t == null) {
                return 0;
            }
            t.lock.lock();
            try {
                List<String> fields = t.routedFields();
                int n = 0;
                for (Row r : t.rows.values()) {
                    Object route = r.routeIn(t.routeToken());
                    if (route == null) {
                        continue;
                    }
                    n++;
                    Object[] want =
                            fields.stream().map(f -> Values.of(r.data().get(f))).toArray();
                    if (fields.size() != 1) {
                        // one value kept for a routing of none or several fields: kept for another one
                        assertThat(route)
                                .as("step %d row %s fields %s", step, r, fields)
                                .isInstanceOf(Object[].class);
                    }
                    Object[] got = fields.size() == 1 ? new Object[] {route} : (Object[]) route;
                    assertThat(got)
                            .as("step %d row %s fields %s", step, r, fields)
                            .containsExactly(want);
                }
                return n;
            } finally {
                t.lock.unlock();
            }
        }

        private void checkWindows(int step) throws Exception {
            for (Sub s : subs) {
                for (Frame f : Fixtures.drain(s.s())) {
                    s.replica().apply(Json.MAPPER.readTree(FrameCodec.encoded(f)));
                }
                assertThat(s.replica().ids())
                        .as("step %d where %s", step, s.where())
                        .isEqualTo(expected(Fixtures.obj(s.where())));
            }
        }

        /** The rows matching {@code where}, by n then id: the windows hold them all (limit 100, 25 ids). */
        private List<String> expected(ObjectNode where) throws LiveQueryException {
            Where w = Where.parse(where);
            return model.values().stream()
                    .filter(w::matches)
                    .sorted(Comparator.comparingInt((ObjectNode r) -> r.get("n").intValue())
                            .thenComparing(r -> r.get("id").textValue()))
                    .map(r -> r.get("id").textValue())
                    .toList();
        }
    }

    private static ObjectNode row(Put p) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("id", "r" + p.id());
        r.put("a", p.a());
        if (p.b() != null) {
            r.put("b", p.b());
        }
        r.put("n", p.n());
        return r;
    }
}
