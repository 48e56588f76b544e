package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.Replica;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The routing values a stored row keeps ({@link Row#routeIn}) against its data, while views on
 * other fields come and go (so the set of routed fields changes under rows that keep values for
 * an older set), rows move between values, lose the field, and are deleted: every value kept for
 * the current routing equals what the row's object holds, and every live window equals a
 * brute-force filter of the rows, so no change was routed past a view it concerns.
 */
class RoutingValuesTest {
    private static final String[] WHERES = {
        "{'a': 1}", "{'a': 2}", "{'b': 0}", "{'b': 3}", "{'a': {'in': [0, 3]}}", "{'n': {'gt': 50}}", "{'a': 1, 'b': 1}"
    };

    /** A live subscription and what it should show. */
    private record Sub(Subscription s, Replica replica, String where) {}

    @Test
    void keptValuesMatchTheRowsAndWindowsStayExact() throws Exception {
        for (long seed = 1; seed <= 20; seed++) {
            run(new SplittableRandom(seed), seed);
        }
    }

    private static void run(SplittableRandom rnd, long seed) throws Exception {
        Engine engine = new Engine(EngineOptions.defaults());
        Map<String, ObjectNode> model = new HashMap<>();
        List<Sub> subs = new ArrayList<>();
        long version = 0;
        int kept = 0;
        for (int step = 0; step < 400; step++) {
            int what = rnd.nextInt(20);
            if (what == 0 && !subs.isEmpty()) {
                subs.remove(rnd.nextInt(subs.size())).s().close();
            } else if (what == 1) {
                String where = WHERES[rnd.nextInt(WHERES.length)];
                Subscription s = engine.subscribe(
                        Fixtures.query(
                                "{'table': 't', 'where': " + where + ", 'order': [{'field': 'n'}], 'limit': 100}"),
                        null,
                        () -> {});
                subs.add(new Sub(s, new Replica(), where));
            } else {
                String id = "r" + rnd.nextInt(25);
                ObjectNode after = null;
                if (rnd.nextInt(6) > 0 || !model.containsKey(id)) {
                    after = JsonNodeFactory.instance.objectNode();
                    after.put("id", id);
                    after.put("a", rnd.nextInt(4));
                    if (rnd.nextInt(4) > 0) {
                        after.put("b", rnd.nextInt(4)); // sometimes absent: routed as missing
                    }
                    after.put("n", rnd.nextInt(100));
                }
                engine.ingest("t", id, after, ++version);
                if (after == null) {
                    model.remove(id);
                } else {
                    model.put(id, after);
                }
            }
            kept += checkKeptValues(engine, seed, step);
            for (Sub s : subs) {
                for (Frame f : Fixtures.drain(s.s())) {
                    s.replica().apply(Json.MAPPER.readTree(FrameCodec.encoded(f)));
                }
                assertThat(s.replica().ids())
                        .as("seed %d step %d where %s", seed, step, s.where())
                        .isEqualTo(expected(model, Fixtures.obj(s.where())));
            }
        }
        assertThat(kept)
                .as("rows checked with kept routing values, seed %d", seed)
                .isPositive();
    }

    /** Checks every kept value of the current routing against the row; returns how many rows had them. */
    private static int checkKeptValues(Engine engine, long seed, int step) throws LiveQueryException {
        Table t = engine.existing("t");
        if (t == null) {
            return 0;
        }
        t.lock.lock();
        try {
            List<String> fields = t.routedFields();
            int kept = 0;
            for (Row r : t.rows.values()) {
                Object route = r.routeIn(t.routeToken());
                if (route == null) {
                    continue;
                }
                kept++;
                Object[] want =
                        fields.stream().map(f -> Values.of(r.data().get(f))).toArray();
                Object[] got = fields.size() == 1 ? new Object[] {route} : (Object[]) route;
                assertThat(got)
                        .as("seed %d step %d row %s fields %s", seed, step, r, fields)
                        .containsExactly(want);
            }
            return kept;
        } finally {
            t.lock.unlock();
        }
    }

    /** The rows matching {@code where}, by n then id: the windows hold them all (limit 100, 25 ids). */
    private static List<String> expected(Map<String, ObjectNode> model, ObjectNode where) throws LiveQueryException {
        Where w = Where.parse(where);
        return model.values().stream()
                .filter(w::matches)
                .sorted(Comparator.comparingInt((ObjectNode r) -> r.get("n").intValue())
                        .thenComparing(r -> r.get("id").textValue()))
                .map(r -> r.get("id").textValue())
                .toList();
    }
}
