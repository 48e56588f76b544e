package dev.livequery.bench;

import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LocalBackend;
import dev.livequery.core.Query;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ns per change of the workload in {@link Workload}: one put of a random row, then everything the
 * change costs until every subscription's frames have been consumed. Defaults below are what
 * {@code bench/engine} uses; it may override them on the command line.
 *
 * <p>The fork touches its whole heap at start ({@code AlwaysPreTouch}). Without it, every
 * benchmark's first pass over a page of the 3 GB heap faulted it in (the kernel zeroing it), and
 * the measured seconds were too few for the allocation of the cheap benchmarks to pass over the
 * heap once: the change generator alone measured 3-4 µs per change with ±100% error, 0.3-0.4 µs
 * with the pages touched. A server that has run a minute has touched its heap too.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class EngineBench {

    /**
     * LocalBackend (default options), 100k rows, 1,000 subscriptions, snapshots drained. (Not named
     * {@code Engine}: that is the core's class.)
     */
    @State(Scope.Benchmark)
    public static class Subscribed {
        EngineHarness h;

        @Setup(Level.Trial)
        public void setup() throws LiveQueryException {
            h = new EngineHarness(new Workload());
            h.subscribe(0, Workload.SUBS_PER_SHAPE, null);
            settle();
        }
    }

    /**
     * As {@link Subscribed}, but the resume history keeps only the last 10,000 changes (the protocol's
     * minimum) instead of the default "10,000 or 5 minutes, up to 1,000,000": shows what the
     * default retention costs in GC at this write rate.
     */
    @State(Scope.Benchmark)
    public static class ShortHistory {
        EngineHarness h;

        @Setup(Level.Trial)
        public void setup() throws LiveQueryException {
            h = new EngineHarness(
                    new Workload(), EngineOptions.defaults().withHorizon(10_000, java.time.Duration.ZERO, 10_000));
            h.subscribe(0, Workload.SUBS_PER_SHAPE, null);
            settle();
        }
    }

    /** The baseline's store and its 1,000 subscriptions (windows as of the start). */
    @State(Scope.Benchmark)
    public static class Baseline {
        Requery r;

        @Setup(Level.Trial)
        public void setup() {
            r = new Requery(new Workload());
            r.subscribe(Workload.SUBS_PER_SHAPE);
            settle();
        }
    }

    /** Only the change generator, to show what part of every number below is the harness's. */
    @State(Scope.Benchmark)
    public static class Gen {
        Workload w;

        @Setup(Level.Trial)
        public void setup() {
            w = new Workload();
        }
    }

    /** A LocalBackend with the rows and NO subscriptions (so no views): backend.query builds the window from scratch. */
    @State(Scope.Benchmark)
    public static class Cold {
        LocalBackend b;
        Query[] queries;
        int i;

        @Setup(Level.Trial)
        public void setup() throws LiveQueryException {
            Workload w = new Workload();
            b = new LocalBackend(EngineOptions.defaults());
            for (int r = 0; r < Workload.ROWS; r++) {
                b.put(Workload.TABLE, w.ids[r], w.initial[r], null);
            }
            queries = new Query[Workload.CATS];
            for (int s = 0; s < Workload.CATS; s++) {
                queries[s] = Query.parse(Workload.query(s, Workload.LIMIT, null, null));
            }
            settle();
        }
    }

    /**
     * Collects after a setup: the setup's hundred-odd MB of rows and views would otherwise be
     * copied out of the young generation by the first collections of the measured iterations,
     * booking a one-off pause of the setup on whichever benchmark (engine or baseline) it hits.
     */
    static void settle() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
    }

    /** Engine: put + drain of the woken subscriptions; frames' op and indexes are read, nothing encoded. */
    @Benchmark
    public long engine(Subscribed s) throws LiveQueryException {
        return s.h.change(false);
    }

    /** Engine + encoding: as {@link #engine}, and every delivered frame is encoded with FrameCodec.toJson (eid, cursor, row). */
    @Benchmark
    public long engineEncode(Subscribed s) throws LiveQueryException {
        return s.h.change(true);
    }

    /** Engine with a 10,000-change history instead of the default 5-minute one (diagnostic). */
    @Benchmark
    public long engineShortHistory(ShortHistory s) throws LiveQueryException {
        return s.h.change(false);
    }

    /** Baseline: the same change, then requery + diff of every subscription of the affected shapes. */
    @Benchmark
    public long requeryDiff(Baseline s) {
        return s.r.change();
    }

    /** The change generator alone (included in all three numbers above). */
    @Benchmark
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 1)
    public Object changeGen(Gen s) {
        s.w.next();
        return s.w.data;
    }

    /**
     * The weaker baseline, per query: one {@code backend.query} on a backend with no live
     * subscriptions (each call builds the shape's view from the 100k rows). Not per change.
     */
    @Benchmark
    @Warmup(iterations = 1, time = 2)
    @Measurement(iterations = 2, time = 2)
    public Object coldQuery(Cold s) throws LiveQueryException {
        return s.b.query(s.queries[s.i++ % Workload.CATS]);
    }
}
