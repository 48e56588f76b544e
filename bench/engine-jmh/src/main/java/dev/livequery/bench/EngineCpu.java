package dev.livequery.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * The {@code engine} benchmark's change (put + drain, {@link EngineHarness#change}) timed by the
 * thread's CPU time as well as the wall clock, in blocks, medians printed. On a machine shared
 * with other builds, JMH's wall-clock scores of two builds vary by ±30% run to run; the thread's
 * CPU time leaves out the time the thread was descheduled and the collector's pauses, so two
 * builds compared back to back (and in both orders) differ by what their code does.
 *
 * <p>{@code java -Xms3g -Xmx3g -XX:+AlwaysPreTouch -cp bench/engine-jmh/target/benchmarks.jar dev.livequery.bench.EngineCpu
 * [warm-up changes] [changes per block] [blocks]} (defaults 1,000,000, 200,000, 12) after
 * {@code ./mvnw -Pbench -pl bench/engine-jmh -am package -DskipTests}; one benchmark at a time.
 */
public final class EngineCpu {
    private EngineCpu() {}

    public static void main(String[] args) throws Exception {
        int warm = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int block = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        int blocks = args.length > 2 ? Integer.parseInt(args[2]) : 12;
        EngineHarness h = new EngineHarness(new Workload());
        h.subscribe(0, Workload.SUBS_PER_SHAPE, null);
        EngineBench.settle();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (int i = 0; i < warm; i++) {
            sum += h.change(false);
        }
        double[] cpu = new double[blocks];
        double[] wall = new double[blocks];
        for (int b = 0; b < blocks; b++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            for (int i = 0; i < block; i++) {
                sum += h.change(false);
            }
            cpu[b] = (mx.getCurrentThreadCpuTime() - c0) / (double) block;
            wall[b] = (System.nanoTime() - w0) / (double) block;
        }
        System.out.printf(
                "engine per change: thread CPU median %.0f ns (min %.0f), wall median %.0f ns (min %.0f); "
                        + "%d blocks of %,d changes after %,d (checksum %d)%n",
                median(cpu),
                Arrays.stream(cpu).min().orElse(0),
                median(wall),
                Arrays.stream(wall).min().orElse(0),
                blocks,
                block,
                warm,
                sum);
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
