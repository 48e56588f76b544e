package dev.livequery.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.testkit.Replica;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jol.info.GraphLayout;

/**
 * What {@code bench/engine} runs: (1) a cross-check that the engine's frames and the baseline's
 * requeries give the same windows on this workload, with the workload's statistics (views per
 * change, subscriptions woken, frames); (2) retained heap per subscription and per view; (3) the
 * JMH benchmarks of {@link EngineBench}, side by side in one run; then the summary. The last two
 * lines are {@code engine per affected view: <N> us (target 1)} and
 * {@code engine speedup vs requery+diff: <N>x}.
 *
 * <p>System properties: {@code bench.results} (JMH JSON file), {@code bench.checkChanges} (changes
 * in the cross-check), {@code bench.wi}/{@code bench.i}/{@code bench.t} (warmup iterations,
 * measurement iterations, seconds per iteration; default: the annotations' 3/5/2s), {@code bench.include}
 * (the benchmarks to run, a regex alternation; default all six: a short iteration may run
 * {@code engine|requeryDiff|changeGen}, which the last lines need).
 */
public final class EngineReport {
    private EngineReport() {}

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Stats st = crossCheck(Integer.getInteger("bench.checkChanges", 5000));
        // bench.skipHeap: a short iteration run without the (slow) jol walks; the full run has them
        Heap heap = Boolean.getBoolean("bench.skipHeap")
                ? new Heap(Double.NaN, Double.NaN, Double.NaN, Double.NaN)
                : heap();
        System.gc();
        Map<String, RunResult> r = jmh();

        double engine = score(r, "engine");
        double encode = r.containsKey("engineEncode") ? score(r, "engineEncode") : Double.NaN;
        double base = score(r, "requeryDiff");
        double gen = score(r, "changeGen");
        double cold = r.containsKey("coldQuery") ? score(r, "coldQuery") : Double.NaN;
        System.out.println();
        System.out.println("== Engine benchmark (bench/engine) ==");
        System.out.printf(
                "workload: %,d rows, %d shapes, %,d subscriptions (windows of %d), JDK %s, %d CPUs%n",
                Workload.ROWS,
                Workload.CATS,
                Workload.CATS * Workload.SUBS_PER_SHAPE,
                Workload.LIMIT,
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        System.out.printf(
                "per change (cross-check, %,d changes): views touched %.3f, subscriptions woken %.2f, "
                        + "engine frames %.2f, baseline requeries %.2f, baseline diff frames %.2f%n",
                st.changes, st.views(), st.woken(), st.frames(), st.requeries(), st.baseFrames());
        line(r, "engine", "engine (put + drain)");
        line(r, "engineEncode", "engine + toJson of every frame");
        line(r, "engineShortHistory", "engine, history 10k changes (diag.)");
        line(r, "requeryDiff", "requery + diff (baseline)");
        line(r, "changeGen", "change generator (in all three)");
        System.out.printf(
                "weaker baseline, backend.query on a backend without views: %,.0f ns per query"
                        + " (x %.2f requeries = %,.0f ns per change)%n",
                cold, st.requeries(), cold * st.requeries());
        System.out.printf(
                "ns per change per affected view: %.0f (engine), %.0f (engine + encoding)%n",
                engine / st.views(), encode / st.views());
        System.out.printf(
                "heap bytes per view (1,000 rows): %,.0f (jol; MemoryMXBean says %,.0f)%n",
                heap.perView, heap.perViewMx);
        System.out.printf(
                "speedup without the generator: engine %.1fx, engine + encoding %.1fx%n",
                (base - gen) / (engine - gen), (base - gen) / (encode - gen));
        System.out.printf("engine + encoding speedup vs requery+diff: %.1fx%n", base / encode);
        System.out.printf(
                "engine allocation per change: %,.0f B (target 500; the change generator's own %,.0f B "
                        + "is included)%n",
                alloc(r, "engine"), alloc(r, "changeGen"));
        System.out.printf(
                "engine heap per subscription: %,.0f B (target 2,048; jol; MemoryMXBean says %,.0f)%n",
                heap.perSub, heap.perSubMx);
        System.out.printf("engine per affected view: %.2f us (target 1)%n", engine / st.views() / 1000);
        System.out.printf("engine speedup vs requery+diff: %.1fx%n", base / engine);
    }

    // ---- (1) cross-check and statistics -----------------------------------------------------

    record Stats(long changes, long viewSum, long wokenSum, long frameSum, long requerySum, long baseFrameSum) {
        double views() {
            return (double) viewSum / changes;
        }

        double woken() {
            return (double) wokenSum / changes;
        }

        double frames() {
            return (double) frameSum / changes;
        }

        double requeries() {
            return (double) requerySum / changes;
        }

        double baseFrames() {
            return (double) baseFrameSum / changes;
        }
    }

    static Stats crossCheck(int changes) throws LiveQueryException {
        long t0 = System.nanoTime();
        EngineHarness e = new EngineHarness(new Workload());
        Requery b = new Requery(new Workload());
        List<Replica> replicas = new ArrayList<>();
        long[] frames = {0};
        EngineHarness.FrameSink sink = (s, f) -> {
            while (replicas.size() <= s) {
                replicas.add(new Replica());
            }
            replicas.get(s).apply(wire(f));
            frames[0]++;
        };
        e.subscribe(0, Workload.SUBS_PER_SHAPE, sink);
        b.subscribe(Workload.SUBS_PER_SHAPE);
        compareAll(e, b, replicas, "after subscribe");
        frames[0] = 0;
        long views = 0;
        long woken = 0;
        long req0 = b.requeries;
        long bf0 = b.frames;
        for (int i = 0; i < changes; i++) {
            e.change(sink);
            b.change();
            woken += e.lastWoken;
            Workload w = b.workload;
            if (!w.id.equals(e.workload.id)) {
                throw new IllegalStateException("the two workloads diverged");
            }
            views += w.catBefore == w.catAfter ? 1 : 2;
            compareShape(b, replicas, w.catBefore, i);
            compareShape(b, replicas, w.catAfter, i);
        }
        compareAll(e, b, replicas, "at the end");
        System.out.printf(
                "cross-check: engine frames and requery+diff agree on all %,d windows over %,d changes " + "(%.1f s)%n",
                b.subs.size(), changes, (System.nanoTime() - t0) / 1e9);
        return new Stats(changes, views, woken, frames[0], b.requeries - req0, b.frames - bf0);
    }

    private static void compareShape(Requery b, List<Replica> replicas, int shape, int change) {
        for (int w = 0; w < Workload.SUBS_PER_SHAPE; w++) {
            int s = shape * Workload.SUBS_PER_SHAPE + w;
            List<String> want = Requery.ids(b.subsByShape[shape][w]);
            if (!want.equals(replicas.get(s).ids())) {
                throw new IllegalStateException("change " + change + ", subscription " + s + ": engine window "
                        + replicas.get(s).ids() + " but requery gives " + want);
            }
        }
    }

    private static void compareAll(EngineHarness e, Requery b, List<Replica> replicas, String when) {
        if (replicas.size() != b.subs.size() || e.subs.size() != b.subs.size()) {
            throw new IllegalStateException(
                    when + ": " + replicas.size() + " engine windows, " + b.subs.size() + " baseline windows");
        }
        for (int shape = 0; shape < Workload.CATS; shape++) {
            compareShape(b, replicas, shape, -1);
        }
    }

    /** The frame as a client receives it, for the test kit's replica (which checks every index, id and version). */
    private static JsonNode wire(Frame f) {
        try {
            return Json.MAPPER.readTree(FrameCodec.encoded(f));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- (2) heap ----------------------------------------------------------------------------

    record Heap(double perSub, double perView, double perSubMx, double perViewMx) {}

    /**
     * One backend, measured three times: rows only (no subscription, so no view); one subscription
     * per shape (100 views + 100 subscriptions); ten per shape (the same 100 views + 1,000
     * subscriptions). Views are dropped when their last subscription closes, so "views but no
     * subscriptions" cannot be measured directly: per subscription = (S10 - S1) / 900, per view =
     * (S1 - S0) / 100 - per subscription. Snapshots are drained first, so queues are empty.
     */
    static Heap heap() throws LiveQueryException {
        long t0 = System.nanoTime();
        EngineHarness h = new EngineHarness(new Workload());
        long[] j = new long[3];
        long[] m = new long[3];
        j[0] = GraphLayout.parseInstance(h.backend).totalSize();
        m[0] = used();
        h.subscribe(0, 1, null);
        // The harness reads each view's first 1,000 cursors to place after/before windows, and
        // the engine caches a cursor on the row's key once read: do it here so that it counts
        // as the views' cost (where it lives), not the subscriptions'.
        for (int shape = 0; shape < Workload.CATS; shape++) {
            h.backend.query(dev.livequery.core.Query.parse(Workload.query(shape, 1000, null, null)));
        }
        j[1] = GraphLayout.parseInstance(h.backend).totalSize();
        m[1] = used();
        h.subscribe(1, Workload.SUBS_PER_SHAPE, null);
        j[2] = GraphLayout.parseInstance(h.backend).totalSize();
        m[2] = used();
        int extra = Workload.CATS * (Workload.SUBS_PER_SHAPE - 1);
        double sub = (double) (j[2] - j[1]) / extra;
        double view = (double) (j[1] - j[0]) / Workload.CATS - sub;
        double subMx = (double) (m[2] - m[1]) / extra;
        double viewMx = (double) (m[1] - m[0]) / Workload.CATS - subMx;
        System.out.printf(
                "heap (jol GraphLayout of the backend): rows only %,d B; +100 views & subs %,d B; "
                        + "+900 subs %,d B (%.1f s)%n",
                j[0], j[1], j[2], (System.nanoTime() - t0) / 1e9);
        if (h.subs.size() != Workload.CATS * Workload.SUBS_PER_SHAPE) {
            throw new IllegalStateException("subscriptions: " + h.subs.size());
        }
        return new Heap(sub, view, subMx, viewMx);
    }

    private static long used() {
        var mx = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return mx.getHeapMemoryUsage().getUsed();
    }

    // ---- (3) JMH -----------------------------------------------------------------------------

    static Map<String, RunResult> jmh() throws Exception {
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(EngineBench.class.getName() + "\\.("
                        + System.getProperty(
                                "bench.include",
                                "engine|engineEncode|engineShortHistory|requeryDiff|changeGen|coldQuery")
                        + ")$")
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true);
        if (System.getProperty("bench.results") != null) {
            o.result(System.getProperty("bench.results")).resultFormat(ResultFormatType.JSON);
        }
        if (Integer.getInteger("bench.wi") != null) {
            o.warmupIterations(Integer.getInteger("bench.wi"));
        }
        if (Integer.getInteger("bench.i") != null) {
            o.measurementIterations(Integer.getInteger("bench.i"));
        }
        if (Integer.getInteger("bench.t") != null) {
            o.warmupTime(TimeValue.seconds(Integer.getInteger("bench.t")));
            o.measurementTime(TimeValue.seconds(Integer.getInteger("bench.t")));
        }
        Collection<RunResult> results = new Runner(o.build()).run();
        Map<String, RunResult> byName = new HashMap<>();
        for (RunResult rr : results) {
            String b = rr.getParams().getBenchmark();
            byName.put(b.substring(b.lastIndexOf('.') + 1), rr);
        }
        return byName;
    }

    private static double score(Map<String, RunResult> r, String name) {
        RunResult rr = r.get(name);
        if (rr == null) {
            throw new IllegalStateException("benchmark " + name + " did not run");
        }
        return rr.getPrimaryResult().getScore();
    }

    private static double alloc(Map<String, RunResult> r, String name) {
        Result<?> a = r.get(name).getSecondaryResults().get("gc.alloc.rate.norm");
        return a == null ? Double.NaN : a.getScore();
    }

    private static void line(Map<String, RunResult> r, String name, String label) {
        RunResult rr = r.get(name);
        if (rr == null) {
            return;
        }
        Result<?> p = rr.getPrimaryResult();
        Result<?> alloc = rr.getSecondaryResults().get("gc.alloc.rate.norm");
        System.out.printf(
                "%-34s %,10.0f ± %,.0f ns/change%s%n",
                label + ":",
                p.getScore(),
                p.getScoreError(),
                alloc == null ? "" : String.format(", %,.0f B allocated/change", alloc.getScore()));
    }
}
