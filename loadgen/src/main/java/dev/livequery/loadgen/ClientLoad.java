package dev.livequery.loadgen;

import java.lang.management.ManagementFactory;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Recorder;

/**
 * The load generator's own load, so a saturated client is never read as server latency: CPU
 * seconds of this JVM, and the lag of the executor every WebSocket callback runs on (our event
 * loop). A probe task is queued on that executor every {@value #PERIOD_MS} ms and records how long
 * it waited; when the client cannot keep up, received frames wait in the same queue and their
 * latency grows with this lag, whatever the server does.
 */
final class ClientLoad implements AutoCloseable {
    static final long PERIOD_MS = 50;
    /** Above this share of one core the client itself is a bottleneck; its latencies are suspect. */
    static final double SATURATED_CORES = 0.8;

    private final Recorder lag = new Recorder(3);
    private final Executor executor;
    private final Thread thread;
    private volatile boolean closed;

    ClientLoad(Executor executor) {
        this.executor = executor;
        this.thread = Thread.ofPlatform().daemon().name("client-lag-probe").start(this::loop);
    }

    private void loop() {
        while (!closed) {
            long queued = System.nanoTime();
            try {
                executor.execute(() -> lag.recordValue(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - queued)));
                Thread.sleep(PERIOD_MS);
            } catch (RejectedExecutionException | InterruptedException e) {
                return;
            }
        }
    }

    /** CPU seconds this JVM has used (all threads: clients, writer, GC, JIT). */
    static double cpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long ns = os.getProcessCpuTime();
            if (ns >= 0) {
                return ns / 1e9;
            }
        }
        return ProcessHandle.current()
                .info()
                .totalCpuDuration()
                .map(d -> d.toNanos() / 1e9)
                .orElse(Double.NaN);
    }

    /** Executor lag since the last call, microseconds (one reader: {@link Progress}). */
    org.HdrHistogram.Histogram lagInterval() {
        return lag.getIntervalHistogram();
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
