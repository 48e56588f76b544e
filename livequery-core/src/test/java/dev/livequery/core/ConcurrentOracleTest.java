package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.Oracle;
import dev.livequery.testkit.Oracle.Anchor;
import dev.livequery.testkit.Oracle.Slice;
import dev.livequery.testkit.Oracle.Stored;
import dev.livequery.testkit.Replica;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Backend is thread-safe (its javadoc): writers, reanchors and drains run on different
 * threads in the gateway. Here several writers race on a small table while drainer threads feed
 * naive replicas (which check every splice as it comes) and another thread reanchors. Once
 * everything stops and the queues are drained, every replica must be the oracle's window over
 * the table as the backend now holds it.
 */
class ConcurrentOracleTest {
    private static final String[] WHERES = {"{}", "{\"b\": {\"gte\": 0, \"lt\": 3}}"};
    private static final String[] ORDERS = {
        "[{\"field\": \"a\"}, {\"field\": \"b\", \"dir\": \"desc\"}]", "[{\"field\": \"b\", \"dir\": \"desc\"}]"
    };

    @ParameterizedTest(name = "maxQueued={0}")
    @ValueSource(ints = {1024, 3})
    void racingWritersReanchorsAndDrains(int maxQueued) throws Exception {
        Backend backend = new LocalBackend(EngineOptions.defaults().withMaxQueued(maxQueued));
        try {
            run(backend);
        } finally {
            backend.close();
        }
    }

    private record Sub(Oracle.ShapeSpec shape, Subscription sub, Replica replica, int[] limit) {}

    private void run(Backend backend) throws Exception {
        List<Sub> subs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ObjectNode where = OracleRun.json(WHERES[i % 2]);
            ObjectNode q = OracleRun.json("{\"table\":\"t\",\"limit\":3}");
            if (!where.isEmpty()) {
                q.set("where", where);
            }
            q.set("order", OracleRun.value(ORDERS[i / 2]));
            List<Oracle.SortKey> keys = new ArrayList<>();
            OracleRun.value(ORDERS[i / 2])
                    .forEach(k -> keys.add(new Oracle.SortKey(
                            k.get("field").textValue(),
                            k.path("dir").asText("asc").equals("desc"))));
            subs.add(new Sub(
                    new Oracle.ShapeSpec("t", where.isEmpty() ? null : where, keys),
                    backend.subscribe(Query.parse(q), null, () -> {}),
                    new Replica(),
                    new int[] {3}));
        }
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch writersDone = new CountDownLatch(3);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            long seed = w;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    write(backend, new Random(seed), 1500);
                } catch (Throwable t) {
                    errors.add(t);
                } finally {
                    writersDone.countDown();
                }
            }));
        }
        threads.add(Thread.ofPlatform().start(() -> {
            Random rnd = new Random(99);
            try {
                while (writersDone.getCount() > 0) {
                    Sub s = subs.get(rnd.nextInt(subs.size()));
                    synchronized (s) {
                        int limit = 1 + rnd.nextInt(6);
                        s.sub().reanchor(new Window(null, null, limit));
                        s.limit()[0] = limit;
                    }
                    Thread.sleep(1);
                }
            } catch (Throwable t) {
                errors.add(t);
            }
        }));
        List<Thread> drainers = new ArrayList<>();
        for (int d = 0; d < 2; d++) {
            List<Sub> mine = List.of(subs.get(d), subs.get(d + 2));
            drainers.add(Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        for (Sub s : mine) {
                            List<Frame> out = new ArrayList<>();
                            s.sub().drain(out, 7);
                            out.forEach(f -> WireFrames.apply(s.replica(), f));
                        }
                        Thread.onSpinWait();
                    }
                } catch (Throwable t) {
                    errors.add(t);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        stop.set(true);
        for (Thread t : drainers) {
            t.join();
        }
        assertThat(errors).as("errors in writer, reanchor or drainer threads").isEmpty();

        List<Stored> table = new ArrayList<>();
        for (String id : OracleScenario.IDS) {
            try {
                Row r = backend.get("t", id);
                table.add(new Stored(r.id(), r.version(), r.data()));
            } catch (LiveQueryException e) {
                assertThat(e.code()).isEqualTo(LiveQueryException.Code.NOT_FOUND);
            }
        }
        for (Sub s : subs) {
            List<Frame> out = new ArrayList<>();
            while (s.sub().drain(out, 1000) > 0) {
                out.forEach(f -> WireFrames.apply(s.replica(), f));
                out.clear();
            }
            Slice want = Oracle.window(s.shape(), table, new Anchor(null, null, s.limit()[0]));
            assertThat(s.replica().ids()).as("final window of %s", s.shape()).isEqualTo(want.ids());
            for (int i = 0; i < want.rows().size(); i++) {
                assertThat(s.replica().items().get(i).version())
                        .isEqualTo(want.rows().get(i).version());
            }
            s.sub().close();
        }
    }

    /** Random puts, patches and deletes; races make some of them NOT_FOUND, which is fine. */
    private static void write(Backend b, Random rnd, int n) throws LiveQueryException {
        String[] values = OracleScenario.VALUES;
        for (int i = 0; i < n; i++) {
            String id = OracleScenario.IDS[rnd.nextInt(OracleScenario.IDS.length)];
            ObjectNode row = OracleRun.json("{}");
            row.put("id", id);
            for (String f : List.of("a", "b")) {
                int v = rnd.nextInt(10);
                if (v > 0) {
                    row.set(f, OracleRun.value(values[v]));
                }
            }
            try {
                switch (rnd.nextInt(4)) {
                    case 0, 1 -> b.put("t", id, row, null);
                    case 2 -> {
                        row.remove("id");
                        b.patch("t", id, row, null);
                    }
                    default -> b.delete("t", id, null);
                }
            } catch (LiveQueryException e) {
                assertThat(e.code()).isEqualTo(LiveQueryException.Code.NOT_FOUND);
            }
        }
    }
}
