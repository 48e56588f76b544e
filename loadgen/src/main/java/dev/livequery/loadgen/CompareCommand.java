package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code loadgen compare}: a markdown table of our run against each peer run, with ratios ours/peer. */
@Command(name = "compare", mixinStandardHelpOptions = true, description = "Markdown table of ratios ours/peer.")
final class CompareCommand implements Callable<Integer> {
    @Option(names = "--ours", required = true, description = "results JSON of the livequery run")
    Path ours;

    @Option(names = "--peer", required = true, description = "results JSON of a peer run (repeatable)")
    List<Path> peers = new ArrayList<>();

    @Option(names = "--phase", description = "phase to compare (default: ${DEFAULT-VALUE})")
    String phase = "measure";

    @Option(
            names = {"-o", "--out"},
            description = "markdown file (default: stdout only)")
    Path out;

    private record Metric(String label, String path, boolean lowerIsBetter) {}

    private static final List<Metric> METRICS = List.of(
            new Metric("writes/s", "PHASE/writes_per_s", false),
            new Metric("deliveries/s", "PHASE/deliveries_per_s", false),
            new Metric("server cores busy", "PHASE/server_cores_busy", true),
            new Metric("deliveries per server CPU-second", "PHASE/deliveries_per_server_cpu_s", false),
            new Metric("bytes/s received", "PHASE/bytes_per_s", false),
            new Metric("latency p50 ms", "PHASE/latency/p50_ms", true),
            new Metric("latency p90 ms", "PHASE/latency/p90_ms", true),
            new Metric("latency p99 ms", "PHASE/latency/p99_ms", true),
            new Metric("latency p99.9 ms", "PHASE/latency/p999_ms", true),
            new Metric("latency max ms", "PHASE/latency/max_ms", true),
            new Metric("load generator cores busy", "PHASE/loadgen_cores_busy", true),
            new Metric("load generator lag p99 ms", "PHASE/loadgen_lag/p99_ms", true),
            new Metric("connect all, s", "connect/seconds", true),
            new Metric("heap per connection, B", "server_memory/heap_per_connection_bytes", true),
            new Metric("RSS per connection, B", "server_memory/rss_per_connection_bytes", true));

    @Override
    public Integer call() throws Exception {
        JsonNode o = Json.MAPPER.readTree(ours.toFile());
        List<JsonNode> ps = new ArrayList<>();
        for (Path p : peers) {
            ps.add(Json.MAPPER.readTree(p.toFile()));
        }
        StringBuilder b = new StringBuilder();
        b.append("| metric (phase `").append(phase).append("`) | ").append(name(o));
        for (JsonNode p : ps) {
            b.append(" | ").append(name(p)).append(" | ours / ").append(name(p));
        }
        b.append(" |\n|---|---:");
        ps.forEach(p -> b.append("|---:|---:"));
        b.append("|\n");
        for (Metric m : METRICS) {
            double ov = value(o, m.path());
            b.append("| ")
                    .append(m.label())
                    .append(m.lowerIsBetter() ? " (lower is better)" : "")
                    .append(" | ")
                    .append(fmt(ov));
            for (JsonNode p : ps) {
                double pv = value(p, m.path());
                b.append(" | ")
                        .append(fmt(pv))
                        .append(" | ")
                        .append(
                                Double.isNaN(ov) || Double.isNaN(pv) || pv == 0
                                        ? "–"
                                        : String.format("%.2fx", ov / pv));
            }
            b.append(" |\n");
        }
        System.out.print(b);
        if (out != null) {
            Files.writeString(out, b.toString());
        }
        return 0;
    }

    private static String name(JsonNode n) {
        return n.path("config").path("name").asText();
    }

    private double value(JsonNode root, String path) {
        JsonNode n = root;
        for (String part : path.replace("PHASE", "phases/" + phase).split("/")) {
            n = n.path(part);
        }
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return Math.abs(v) >= 100 ? String.format("%,.0f", v) : String.format("%.2f", v);
    }
}
