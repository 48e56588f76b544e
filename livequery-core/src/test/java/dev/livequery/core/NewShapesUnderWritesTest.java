package dev.livequery.core;

import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.ids;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.testkit.Replica;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A new shape's view is scanned from the rows without the table lock and kept only if no write
 * came meanwhile ({@link Engine#subscribe}). Here writers change the table while new shapes are
 * subscribed one after the other, so scans and writes overlap; once the writers stop, every
 * subscription's replica must equal a fresh scan of the same window (a shape nobody watches, so
 * it is read from the rows, not from the view under test).
 */
class NewShapesUnderWritesTest {
    private static final int ROWS = 3_000;
    private static final int KINDS = 60;

    @Test
    void everyViewScannedDuringWritesEndsExact() throws Exception {
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        SplittableRandom seedRnd = new SplittableRandom(7);
        for (int i = 0; i < ROWS; i++) {
            b.put("t", "r" + i, row(seedRnd), null);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            SplittableRandom rnd = new SplittableRandom(100 + w);
            writers.add(Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        String id = "r" + rnd.nextInt(ROWS + 200);
                        if (rnd.nextInt(10) == 0) {
                            try {
                                b.delete("t", id, null);
                            } catch (LiveQueryException absent) {
                                // deleted already: the next write goes on
                            }
                        } else {
                            b.put("t", id, row(rnd), null);
                        }
                    }
                } catch (Throwable t) {
                    failed.compareAndSet(null, t);
                }
            }));
        }
        List<Subscription> subs = new ArrayList<>();
        List<String> queries = new ArrayList<>();
        try {
            for (int k = 0; k < KINDS; k++) {
                // an indexed shape (where on k) and one no index routes (a range), each new
                String q = k % 2 == 0
                        ? "{\"table\":\"t\",\"where\":{\"k\":" + k / 2 + "},\"order\":[{\"field\":\"n\"}],\"limit\":15}"
                        : "{\"table\":\"t\",\"where\":{\"n\":{\"gte\":" + k * 10
                                + "}},\"order\":[{\"field\":\"n\",\"dir\":\"desc\"}],\"limit\":15}";
                queries.add(q);
                subs.add(b.subscribe(query(q), null, () -> {}));
            }
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
        }
        assertThat(failed.get()).isNull();
        for (int i = 0; i < subs.size(); i++) {
            Replica r = new Replica();
            drain(subs.get(i)).forEach(f -> WireFrames.apply(r, f));
            assertThat(r.violations()).as(queries.get(i)).isEmpty();
            // the same window of a shape nobody watches: scanned from the rows as they are now
            var fresh = obj(queries.get(i));
            ((com.fasterxml.jackson.databind.node.ObjectNode) fresh.get("where"))
                    .putObject("id")
                    .put("gte", "");
            assertThat(r.ids()).as(queries.get(i)).isEqualTo(ids(b.query(Query.parse(fresh))));
        }
        b.close();
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode row(SplittableRandom rnd) {
        return obj("{\"n\":" + rnd.nextInt(1000) + ",\"k\":" + rnd.nextInt(KINDS / 2) + "}");
    }
}
