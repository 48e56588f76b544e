package dev.livequery.core;

import static dev.livequery.testkit.Gen.weight;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.Gen;
import dev.livequery.testkit.Property;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A window keeps its first row's token anchor beside its rows ({@code LiveWindow.firstAnchor}),
 * so naming its state reads no row: under random writes to rows with short and long (over 32
 * characters) ids, through windows from the top, after and before a cursor, the state every
 * window names is the one {@link Tokens.Range#of} picks from its rows.
 *
 * <p>A failure names the seed that replays it ({@code -Dlivequery.seed=…}) and the shrunk
 * scenario.
 */
class WindowAnchorTest {
    private static final int IDS = 30;
    private static final int TRIES = 200;

    /**
     * Rows s{i} or long-id-…{i} ({@code longIds}), all stored with {@code initial} values of n,
     * then {@code writes}; the windows have {@code limit} rows and two of them are anchored on the
     * cursor of the row at {@code cursorAt} in the initial order.
     */
    record Scenario(List<Boolean> longIds, List<Integer> initial, int limit, int cursorAt, List<Write> writes) {}

    /** Writes n to ids[id], or deletes it if {@code delete} and it is stored (else writes it back). */
    record Write(int id, boolean delete, int n) {}

    static Gen<Scenario> scenarios() {
        Gen<Integer> n = Gen.ints(0, 49);
        Gen<List<Boolean>> longIds = Gen.frequency(weight(2, Gen.constant(false)), weight(1, Gen.constant(true)))
                .list(IDS, IDS);
        Gen<List<Integer>> initial = n.list(IDS, IDS);
        Gen<Integer> limit =
                Gen.frequency(weight(1, Gen.ints(1, 3)), weight(2, Gen.constant(4)), weight(1, Gen.ints(5, 8)));
        Gen<Integer> cursorAt = Gen.ints(0, 19);
        Gen<Integer> id = Gen.ints(0, IDS - 1);
        Gen<Boolean> delete = Gen.frequency(weight(7, Gen.constant(false)), weight(1, Gen.constant(true)));
        Gen<List<Write>> writes =
                ((Gen<Write>) s -> new Write(id.generate(s), delete.generate(s), n.generate(s))).list(0, 300);
        return s -> new Scenario(
                longIds.generate(s), initial.generate(s), limit.generate(s), cursorAt.generate(s), writes.generate(s));
    }

    @Test
    void keptAnchorIsTheOneTheRowsGive() {
        Property<Scenario> property = Property.forAll(scenarios()).tries(TRIES);
        AtomicInteger checked = new AtomicInteger();
        property.check(scenario -> checked.addAndGet(run(scenario)));
        if (property.effectiveTries() >= TRIES) {
            // the anchor is only looked for past the first row when that row's id is long
            assertThat(checked.get()).as("windows seen starting with a long id").isPositive();
        }
    }

    /** Runs one scenario; returns how many window states it checked that start with a long id. */
    private static int run(Scenario sc) throws Exception {
        Engine engine = new Engine(EngineOptions.defaults());
        String[] ids = new String[IDS];
        for (int i = 0; i < IDS; i++) {
            ids[i] = sc.longIds().get(i) ? "long-id-" + "x".repeat(30) + i : "s" + i;
        }
        long version = 0;
        boolean[] present = new boolean[IDS];
        for (int i = 0; i < IDS; i++) {
            engine.ingest("t", ids[i], row(ids[i], sc.initial().get(i)), ++version);
            present[i] = true;
        }
        String q = "{'table': 't', 'order': [{'field': 'n'}], 'limit': " + sc.limit();
        String cursor = engine.query(Fixtures.query("{'table': 't', 'order': [{'field': 'n'}], 'limit': 20}"))
                .cursors()
                .get(sc.cursorAt());
        List<Subscription> subs = new ArrayList<>();
        subs.add(engine.subscribe(Fixtures.query(q + "}"), null, () -> {}));
        subs.add(engine.subscribe(Fixtures.query(q + ", 'after': '" + cursor + "'}"), null, () -> {}));
        subs.add(engine.subscribe(Fixtures.query(q + ", 'before': '" + cursor + "'}"), null, () -> {}));
        int checked = check(engine, -1);
        for (int step = 0; step < sc.writes().size(); step++) {
            Write w = sc.writes().get(step);
            boolean delete = present[w.id()] && w.delete();
            engine.ingest("t", ids[w.id()], delete ? null : row(ids[w.id()], w.n()), ++version);
            present[w.id()] = !delete;
            subs.forEach(Fixtures::drain);
            checked += check(engine, step);
        }
        return checked;
    }

    /** Checks every window's named state against its rows; returns how many start with a long id. */
    private static int check(Engine engine, int step) throws LiveQueryException {
        Table t = engine.existing("t");
        t.lock.lock();
        try {
            int checked = 0;
            for (View v : t.views.values()) {
                for (LiveWindow w : v.windows) {
                    assertThat(w.range(t.seq))
                            .as("step %d window %s", step, Arrays.toString(w.rows()))
                            .isEqualTo(Tokens.Range.of(t.seq, w.rows(), w.size()));
                    checked += w.size() > 0 && w.rows()[0].id().length() > 32 ? 1 : 0;
                }
            }
            return checked;
        } finally {
            t.lock.unlock();
        }
    }

    private static ObjectNode row(String id, int n) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("id", id);
        r.put("n", n);
        return r;
    }
}
