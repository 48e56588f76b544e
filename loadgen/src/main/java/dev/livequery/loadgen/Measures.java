package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import org.HdrHistogram.Histogram;

/** What a run records about its rounds and the server: connect times, memory per connection, CPU. */
final class Measures {
    private Measures() {}

    static void round(ObjectNode n, Fleet.Round r) {
        n.put("ok", r.ok());
        n.put("failed", r.failed());
        n.put("seconds", Report.round(r.seconds()));
        Histogram h = r.millis();
        if (h.getTotalCount() > 0) {
            n.put("p50_ms", h.getValueAtPercentile(50));
            n.put("p99_ms", h.getValueAtPercentile(99));
            n.put("max_ms", h.getMaxValue());
        }
        r.errors().forEach(n.putArray("errors")::add);
        if (!r.steps().isEmpty()) {
            ObjectNode steps = n.putObject("steps_ms");
            steps.put(
                    "note",
                    "ms from the round's start to each step, clients that got ready; start_to_open and "
                            + "open_to_ready are per client");
            r.steps().forEach((k, hist) -> {
                ObjectNode s = steps.putObject(k);
                s.put("p50", hist.getValueAtPercentile(50));
                s.put("p99", hist.getValueAtPercentile(99));
                s.put("max", hist.getMaxValue());
            });
        }
    }

    static void memory(ObjectNode n, ServerProbe probe, long heap0, long rss0, int conns) {
        long heap1 = probe.heapAfterGc();
        long rss1 = probe.rssBytes();
        n.put(
                "method",
                "heap: jcmd GC.run + GC.heap_info (used after full GC) before/after connecting; "
                        + "rss: /proc/<pid>/status VmRSS");
        n.put("connections", conns);
        if (heap0 > 0 && heap1 > 0 && conns > 0) {
            n.put("heap_before_bytes", heap0);
            n.put("heap_after_bytes", heap1);
            n.put("heap_per_connection_bytes", (heap1 - heap0) / conns);
        }
        if (rss0 > 0 && rss1 > 0 && conns > 0) {
            n.put("rss_before_bytes", rss0);
            n.put("rss_after_bytes", rss1);
            n.put("rss_per_connection_bytes", (rss1 - rss0) / conns);
        }
    }

    /** CPU seconds used so far by the server and by this load generator. */
    static double[] cpu(ServerProbe probe) {
        double self = ClientLoad.cpuSeconds();
        double gc = 0;
        for (var b : ManagementFactory.getGarbageCollectorMXBeans()) {
            gc += Math.max(0, b.getCollectionTime()) / 1000.0;
        }
        return new double[] {probe.cpuSeconds(), self, gc};
    }

    /** Records the CPU a round cost each side: on a shared machine this is steadier than its wall time. */
    static void cpu(JsonNode node, ServerProbe probe, double[] before, String what) {
        double[] after = cpu(probe);
        ObjectNode n = (ObjectNode) node;
        n.put("server_cpu_s", Report.round(after[0] - before[0]));
        n.put("loadgen_cpu_s", Report.round(after[1] - before[1]));
        n.put("loadgen_gc_s", Report.round(after[2] - before[2]));
        System.err.printf(
                "loadgen: %s cost %.1f CPU-s in the server, %.1f CPU-s in the load generator (GC %.1f s); "
                        + "load average %.1f%n",
                what,
                after[0] - before[0],
                after[1] - before[1],
                after[2] - before[2],
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
