package dev.livequery.loadgen;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.HdrHistogram.Histogram;

/**
 * The one reader of {@link Stats}: once a second it cuts the latency recorders, adds the interval
 * to the current phase, keeps a time-series sample and prints a live line on stderr. Phases
 * ("warmup", "measure", "slow", …) are cut on the same lock, so a sample belongs to exactly one.
 */
final class Progress implements AutoCloseable {
    /** One second of the run. */
    record Sample(
            double t,
            String phase,
            double deliveriesPerSec,
            double bytesPerSec,
            double writesPerSec,
            double p99Millis,
            double serverCpuPerSec,
            double loadgenCpuPerSec,
            double loadgenLagP99Millis) {}

    /** One phase's totals. */
    static final class Phase {
        final String name;
        final Histogram latency = new Histogram(3);
        final Histogram slowLatency = new Histogram(3);
        /** lag of the load generator's callback executor, microseconds. */
        final Histogram loadgenLag = new Histogram(3);

        double seconds;
        long deliveries;
        long bytes;
        long writes;
        long skipped;
        double serverCpu;
        double loadgenCpu;
        /** The server's collector pauses in this phase; -1 when they cannot be read. */
        long gcPauses = -1;

        double gcSeconds;

        Phase(String name) {
            this.name = name;
        }
    }

    private final Stats stats;
    private final ServerProbe probe;
    private final ClientLoad client;
    private final IntSupplier connected;
    private final PrintStream err;
    private final long t0 = System.nanoTime();
    private final List<Sample> samples = new ArrayList<>();
    private final Map<String, Phase> phases = new LinkedHashMap<>();
    private Phase current = new Phase("setup");
    private long lastTick = t0;
    private long lastDeliveries;
    private long lastBytes;
    private long lastWrites;
    private long lastSkipped;
    private double lastCpu;
    private double lastLoadgenCpu;
    private ServerGc.Totals lastGc;
    private final Thread thread;
    private volatile boolean closed;

    Progress(Stats stats, ServerProbe probe, ClientLoad client, IntSupplier connected, PrintStream err) {
        this.stats = stats;
        this.probe = probe;
        this.client = client;
        this.lastLoadgenCpu = ClientLoad.cpuSeconds();
        this.connected = connected;
        this.err = err;
        this.lastCpu = probe.cpuSeconds();
        this.lastGc = probe.gcPauses();
        phases.put(current.name, current);
        thread = Thread.ofPlatform().daemon().name("progress").start(this::loop);
    }

    private void loop() {
        while (!closed) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            tick(true);
        }
    }

    /** Ends the current phase and starts {@code name}. */
    synchronized Phase phase(String name) {
        tick(false);
        current = phases.computeIfAbsent(name, Phase::new);
        return current;
    }

    synchronized Map<String, Phase> phases() {
        tick(false);
        return phases;
    }

    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    private synchronized void tick(boolean print) {
        long now = System.nanoTime();
        double dt = (now - lastTick) / 1e9;
        Histogram h = stats.latency.getIntervalHistogram();
        Histogram s = stats.slowLatency.getIntervalHistogram();
        current.latency.add(h);
        current.slowLatency.add(s);
        Histogram lag = client.lagInterval();
        current.loadgenLag.add(lag);
        double ownCpu = ClientLoad.cpuSeconds();
        current.loadgenCpu += ownCpu - lastLoadgenCpu;
        long d = stats.deliveries.sum();
        long b = stats.bytes.sum();
        long w = stats.writesOk.sum();
        long sk = stats.writesSkipped.sum();
        double cpu = probe.cpuSeconds();
        current.seconds += dt;
        current.deliveries += d - lastDeliveries;
        current.bytes += b - lastBytes;
        current.writes += w - lastWrites;
        current.skipped += sk - lastSkipped;
        double dCpu = Double.isNaN(cpu) ? Double.NaN : cpu - lastCpu;
        current.serverCpu += Double.isNaN(dCpu) ? 0 : dCpu;
        ServerGc.Totals gc = probe.gcPauses();
        if (gc != null && lastGc != null) {
            current.gcPauses = Math.max(current.gcPauses, 0) + gc.pauses() - lastGc.pauses();
            current.gcSeconds += gc.seconds() - lastGc.seconds();
        }
        if (dt > 0.2) {
            double p99 = h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0;
            Sample sample = new Sample(
                    (now - t0) / 1e9,
                    current.name,
                    (d - lastDeliveries) / dt,
                    (b - lastBytes) / dt,
                    (w - lastWrites) / dt,
                    p99,
                    dCpu / dt,
                    (ownCpu - lastLoadgenCpu) / dt,
                    lag.getTotalCount() == 0 ? 0 : lag.getValueAtPercentile(99) / 1000.0);
            samples.add(sample);
            if (print) {
                err.printf(
                        "[%6.1fs %-8s] conns %6d  writes %7.0f/s  deliveries %9.0f/s  %7.2f MB/s  p99 %7.2f ms"
                                + "  server cpu %4.2f  loadgen cpu %4.2f lag p99 %5.1f ms%s  skipped %d  failed %d%n",
                        sample.t(),
                        current.name,
                        connected.getAsInt(),
                        sample.writesPerSec(),
                        sample.deliveriesPerSec(),
                        sample.bytesPerSec() / 1e6,
                        p99,
                        sample.serverCpuPerSec(),
                        sample.loadgenCpuPerSec(),
                        sample.loadgenLagP99Millis(),
                        sample.loadgenCpuPerSec() > ClientLoad.SATURATED_CORES ? " SATURATED" : "",
                        sk,
                        stats.writesFailed.sum());
            }
        }
        lastTick = now;
        lastDeliveries = d;
        lastBytes = b;
        lastWrites = w;
        lastSkipped = sk;
        lastCpu = cpu;
        lastLoadgenCpu = ownCpu;
        lastGc = gc;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
