package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A window keeps its first row's token anchor beside its rows ({@code LiveWindow.firstAnchor}),
 * so naming its state reads no row: under random writes to rows with short and long (over 32
 * characters) ids, through windows from the top, after and before a cursor, the state every
 * window names is the one {@link Tokens.Range#of} picks from its rows.
 */
class WindowAnchorTest {
    @Test
    void keptAnchorIsTheOneTheRowsGive() throws Exception {
        for (long seed = 1; seed <= 10; seed++) {
            run(new SplittableRandom(seed), seed);
        }
    }

    private static void run(SplittableRandom rnd, long seed) throws Exception {
        Engine engine = new Engine(EngineOptions.defaults());
        String[] ids = new String[30];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i % 3 == 0 ? "long-id-" + "x".repeat(30) + i : "s" + i;
        }
        long version = 0;
        boolean[] present = new boolean[ids.length];
        java.util.Arrays.fill(present, true);
        for (String id : ids) {
            engine.ingest("t", id, row(id, rnd), ++version);
        }
        String q = "{'table': 't', 'order': [{'field': 'n'}], 'limit': 4";
        String cursor = engine.query(Fixtures.query(q.replace("4", "20") + "}"))
                .cursors()
                .get(10);
        List<Subscription> subs = new ArrayList<>();
        subs.add(engine.subscribe(Fixtures.query(q + "}"), null, () -> {}));
        subs.add(engine.subscribe(Fixtures.query(q + ", 'after': '" + cursor + "'}"), null, () -> {}));
        subs.add(engine.subscribe(Fixtures.query(q + ", 'before': '" + cursor + "'}"), null, () -> {}));
        int checked = 0;
        for (int step = 0; step < 300; step++) {
            int i = rnd.nextInt(ids.length);
            boolean delete = present[i] && rnd.nextInt(8) == 0;
            engine.ingest("t", ids[i], delete ? null : row(ids[i], rnd), ++version);
            present[i] = !delete;
            subs.forEach(Fixtures::drain);
            Table t = engine.existing("t");
            t.lock.lock();
            try {
                for (View v : t.views.values()) {
                    for (LiveWindow w : v.windows) {
                        assertThat(w.range(t.seq))
                                .as("seed %d step %d", seed, step)
                                .isEqualTo(Tokens.Range.of(t.seq, w.rows(), w.size()));
                        checked += w.size() > 0 && w.rows()[0].id().length() > 32 ? 1 : 0;
                    }
                }
            } finally {
                t.lock.unlock();
            }
        }
        assertThat(checked)
                .as("windows seen starting with a long id, seed %d", seed)
                .isPositive();
    }

    private static ObjectNode row(String id, SplittableRandom rnd) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("id", id);
        r.put("n", rnd.nextInt(50));
        return r;
    }
}
