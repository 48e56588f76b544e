package dev.livequery.loadgen;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * The server JVM's garbage-collection pauses so far, read from its jvmstat counters: the
 * {@code hsperfdata} file every HotSpot JVM keeps (what {@code jstat} reads).
 *
 * <p>Why: at thousands of connections, a server's latency tail is mostly its collector pauses
 * (docs/benchmarks.md). A phase that reports how long its server was paused tells that tail apart
 * from queueing or a saturated load generator, in every run and for every JVM server (ours and
 * Vert.x alike). Reading the counters maps a file: no process is started and nothing is asked of
 * the server, so the probe costs the measured run nothing.
 *
 * <p>The counters are the JDK's own internal API ({@code sun.jvmstat.monitor}, exported to this
 * jar by its manifest). It is called reflectively, because {@code javac --release} may not be
 * given access to an internal package. Collectors whose name says "pauses" (G1, ZGC) are
 * counted; a JVM that names none so (Parallel, Serial: every collection is a pause) has all of
 * them counted. The JVM counts a pause when it starts and adds its time when it ends, so a pause
 * that spans a phase boundary counts in one phase and its time in the next.
 */
final class ServerGc {
    /** Pauses and the time spent in them, since the server started. */
    record Totals(long pauses, double seconds) {}

    private final List<Object[]> collectors; // {invocations monitor, time monitor}
    private final double ticksPerSecond;
    private final Method value;
    /**
     * The monitored VM, held though never called: collecting it unmaps the counters' file, and a
     * read through a monitor after that faults (it crashed a load generator).
     */
    @SuppressWarnings("unused")
    private final Object vm;

    private ServerGc(Object vm, Method value, List<Object[]> collectors, double ticksPerSecond) {
        this.vm = vm;
        this.value = value;
        this.collectors = collectors;
        this.ticksPerSecond = ticksPerSecond;
    }

    /** The counters of JVM {@code pid} on this machine, or null (not a JVM, not readable, API closed). */
    static ServerGc attach(long pid) {
        try {
            Class<?> hostType = Class.forName("sun.jvmstat.monitor.MonitoredHost");
            Class<?> idType = Class.forName("sun.jvmstat.monitor.VmIdentifier");
            Object host = hostType.getMethod("getMonitoredHost", String.class).invoke(null, (String) null);
            Object id = idType.getConstructor(String.class).newInstance(Long.toString(pid));
            Object vm = hostType.getMethod("getMonitoredVm", idType).invoke(host, id);
            Method find = Class.forName("sun.jvmstat.monitor.MonitoredVm").getMethod("findByName", String.class);
            Method value = Class.forName("sun.jvmstat.monitor.Monitor").getMethod("getValue");
            Object freq = find.invoke(vm, "sun.os.hrt.frequency");
            if (freq == null) {
                return null;
            }
            List<Object[]> all = new ArrayList<>();
            List<Object[]> pauses = new ArrayList<>();
            for (int i = 0; ; i++) {
                Object name = find.invoke(vm, "sun.gc.collector." + i + ".name");
                if (name == null) {
                    break;
                }
                Object[] c = {
                    find.invoke(vm, "sun.gc.collector." + i + ".invocations"),
                    find.invoke(vm, "sun.gc.collector." + i + ".time")
                };
                all.add(c);
                if (String.valueOf(value.invoke(name)).contains("pause")) {
                    pauses.add(c);
                }
            }
            if (all.isEmpty()) {
                return null;
            }
            double ticks = ((Number) value.invoke(freq)).doubleValue();
            return new ServerGc(vm, value, pauses.isEmpty() ? all : pauses, ticks);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null; // a non-JVM server, a JVM without perf data, or the package not exported
        }
    }

    /** The totals now, or null when they cannot be read. */
    Totals read() {
        try {
            long pauses = 0;
            long ticks = 0;
            for (Object[] c : collectors) {
                pauses += ((Number) value.invoke(c[0])).longValue();
                ticks += ((Number) value.invoke(c[1])).longValue();
            }
            return new Totals(pauses, ticks / ticksPerSecond);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
