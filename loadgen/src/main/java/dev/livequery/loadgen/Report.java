package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Builds the results JSON: configuration, phases with latency percentiles and rates, the rest as given. */
final class Report {
    final ObjectNode root = Json.MAPPER.createObjectNode();

    /** Latency percentiles in milliseconds from a microsecond histogram. */
    static ObjectNode latency(Histogram h) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("count", h.getTotalCount());
        if (h.getTotalCount() == 0) {
            return n;
        }
        n.put("p50_ms", ms(h.getValueAtPercentile(50)));
        n.put("p90_ms", ms(h.getValueAtPercentile(90)));
        n.put("p99_ms", ms(h.getValueAtPercentile(99)));
        n.put("p999_ms", ms(h.getValueAtPercentile(99.9)));
        n.put("max_ms", ms(h.getMaxValue()));
        return n;
    }

    private static double ms(long micros) {
        return Math.round(micros / 10.0) / 100.0;
    }

    void phases(Map<String, Progress.Phase> phases) {
        ObjectNode out = root.putObject("phases");
        for (Progress.Phase p : phases.values()) {
            ObjectNode n = out.putObject(p.name);
            n.put("seconds", round(p.seconds));
            n.put("writes_per_s", round(p.writes / p.seconds));
            n.put("writes_skipped", p.skipped);
            n.put("deliveries", p.deliveries);
            n.put("deliveries_per_s", round(p.deliveries / p.seconds));
            n.put("bytes_per_s", round(p.bytes / p.seconds));
            n.put("server_cpu_s", round(p.serverCpu));
            n.put("server_cores_busy", round(p.serverCpu / p.seconds));
            if (p.serverCpu > 0) {
                n.put("deliveries_per_server_cpu_s", round(p.deliveries / p.serverCpu));
            }
            n.set("latency", latency(p.latency));
            n.put("loadgen_cpu_s", round(p.loadgenCpu));
            double busy = p.loadgenCpu / p.seconds;
            n.put("loadgen_cores_busy", round(busy));
            n.put("loadgen_saturated", busy > ClientLoad.SATURATED_CORES);
            n.set("loadgen_lag", latency(p.loadgenLag));
            if (p.gcPauses >= 0) {
                n.put("server_gc_pauses", p.gcPauses);
                n.put("server_gc_pause_ms", round(p.gcSeconds * 1000));
                n.put("server_gc_paused_pct", round(p.gcSeconds * 100 / p.seconds));
            }
            if (p.slowLatency.getTotalCount() > 0) {
                n.set("slow_clients_latency", latency(p.slowLatency));
            }
        }
    }

    void samples(List<Progress.Sample> samples) {
        ArrayNode arr = root.putArray("timeseries");
        for (Progress.Sample s : samples) {
            ObjectNode n = arr.addObject();
            n.put("t", round(s.t()));
            n.put("phase", s.phase());
            n.put("deliveries_per_s", round(s.deliveriesPerSec()));
            n.put("bytes_per_s", round(s.bytesPerSec()));
            n.put("writes_per_s", round(s.writesPerSec()));
            n.put("p99_ms", round(s.p99Millis()));
            if (!Double.isNaN(s.serverCpuPerSec())) {
                n.put("server_cores_busy", round(s.serverCpuPerSec()));
            }
            n.put("loadgen_cores_busy", round(s.loadgenCpuPerSec()));
            n.put("loadgen_lag_p99_ms", round(s.loadgenLagP99Millis()));
        }
    }

    static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 100) / 100.0 : -1;
    }

    void write(Path file) throws IOException {
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }
}
