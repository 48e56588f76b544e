package dev.livequery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetsTest {
    private final Map<String, JsonNode> runs = new HashMap<>();

    /** A results JSON as RunCommand writes it, with the fields the targets read. */
    private ObjectNode run(String label, double perCpu, double p99, double bytesPerDelivery, double loadgenCores) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.putObject("config").put("name", label).put("rate", 100).put("connections", 1500);
        ObjectNode m = root.putObject("phases").putObject("measure");
        m.put("deliveries_per_server_cpu_s", perCpu);
        m.put("deliveries_per_s", 10_000);
        m.put("bytes_per_s", 10_000 * bytesPerDelivery);
        m.put("writes_per_s", 100);
        m.putObject("latency").put("p99_ms", p99);
        m.put("loadgen_cores_busy", loadgenCores);
        m.put("loadgen_saturated", loadgenCores > ClientLoad.SATURATED_CORES);
        m.putObject("loadgen_lag").put("p99_ms", 1.5);
        if (label.startsWith("livequery")) {
            root.putObject("verify").put("compared", 1500).put("mismatched", 0);
        }
        runs.put(label, root);
        return root;
    }

    private void sideBySide(int rate, double[] ours, double[] vertx, double[] socketio) {
        for (int i = 0; i < ours.length; i++) {
            run("livequery-r" + rate + "-" + (i + 1), ours[i], 10, 200, 0.5);
            run("vertx-r" + rate + "-" + (i + 1), vertx[i], 9, 160, 0.5);
            run("socketio-r" + rate + "-" + (i + 1), socketio[i], 12, 175, 0.5);
        }
    }

    @Test
    void pairsRunsTakesTheMedianRatioAndEndsWithTheFanoutLine() {
        sideBySide(100, new double[] {30_000, 60_000, 45_000}, new double[] {60_000, 50_000, 50_000}, new double[] {
            20_000, 30_000, 15_000
        });
        List<String> lines = new Targets(runs, List.of(100), 100).lines();
        // ratios vs socket.io 1.5, 2.0, 3.0 -> median 2.0; vs vertx 0.5, 1.2, 0.9 -> median 0.9
        assertThat(lines.getLast()).isEqualTo("fanout: 2.00x socket.io, 0.90x vertx per server cpu-s");
        assertThat(lines)
                .anyMatch(l -> l.startsWith("target fanout vs socket.io @100 w/s")
                        && l.contains("2.00x [1.50-3.00, 3 runs]")
                        && l.endsWith("-> met"));
        assertThat(lines)
                .anyMatch(l -> l.startsWith("target fanout vs vertx @100 w/s")
                        && l.contains("0.90x [0.50-1.20, 3 runs]")
                        && l.endsWith("-> met"));
        // 200 / 160 bytes per delivery = 1.25x: met at the limit; p99 10 / 9 = 1.11x: met
        assertThat(lines)
                .anyMatch(
                        l -> l.startsWith("target bytes per delivery") && l.contains("1.25x") && l.endsWith("-> met"));
        assertThat(lines)
                .anyMatch(l -> l.startsWith("target latency p99 vs vertx p99 @1500 connections, 100 w/s")
                        && l.contains("1.11x")
                        && l.endsWith("-> met"));
        assertThat(lines).anyMatch(l -> l.startsWith("target latency p99 @5k") && l.endsWith("no runs -> not run"));
        assertThat(lines).anyMatch(l -> l.startsWith("verify: mismatched 0 (4500 replicas compared over 3 "));
    }

    @Test
    void aMissingRunOrASaturatedClientIsSaidSo() {
        sideBySide(100, new double[] {30_000}, new double[] {60_000}, new double[] {40_000});
        run("livequery-r300-1", 30_000, 10, 200, 0.95);
        run("vertx-r300-1", 40_000, 10, 160, 0.5);
        List<String> lines = new Targets(runs, List.of(100, 300, 1000), 100).lines();
        assertThat(lines)
                .anyMatch(l -> l.startsWith("target fanout vs vertx @300 w/s")
                        && l.contains("0.75x")
                        && l.contains("SATURATED in livequery-r300-1 0.95 cores")
                        && l.endsWith("-> missed"));
        assertThat(lines)
                .anyMatch(l -> l.startsWith("target fanout vs socket.io @300 w/s") && l.endsWith("no runs -> not run"));
        assertThat(lines)
                .anyMatch(l -> l.startsWith("target fanout vs vertx @1000 w/s") && l.endsWith("no runs -> not run"));
        assertThat(lines.getLast()).isEqualTo("fanout: 0.75x socket.io, 0.50x vertx per server cpu-s");
    }

    @Test
    void fiveKNeedsEveryRunUnder50MsAtTheOfferedRate() {
        for (int i = 1; i <= 3; i++) {
            ObjectNode r = run("livequery-5k-" + i, 10_000, i == 2 ? 60 : 20, 200, 0.5);
            ((ObjectNode) r.path("config")).put("rate", 2000);
            ((ObjectNode) r.path("phases").path("measure")).put("writes_per_s", 1990);
        }
        assertThat(new Targets(runs, List.of(), 100).lines())
                .anyMatch(l -> l.startsWith("target latency p99 @5k")
                        && l.contains("under 50 ms in 2 of 3 runs")
                        && l.endsWith("-> missed"));
        assertThat(new Targets(runs, List.of(), 100).lines())
                .anyMatch(l -> l.startsWith("target latency p99 @5k") && !l.contains("GC pauses"));
        ((ObjectNode) runs.get("livequery-5k-1").path("phases").path("measure"))
                .put("server_gc_pauses", 3)
                .put("server_gc_pause_ms", 210)
                .put("server_gc_paused_pct", 1.05);
        assertThat(new Targets(runs, List.of(), 100).lines())
                .anyMatch(l -> l.startsWith("target latency p99 @5k")
                        && l.contains("gateway in GC pauses max 1.1% of the phase (3 pauses)"));
        ((ObjectNode) runs.get("livequery-5k-2").path("phases").path("measure").path("latency")).put("p99_ms", 40);
        assertThat(new Targets(runs, List.of(), 100).lines())
                .anyMatch(l -> l.startsWith("target latency p99 @5k") && l.endsWith("-> met"));
        ((ObjectNode) runs.get("livequery-5k-3").path("phases").path("measure")).put("writes_per_s", 1200);
        assertThat(new Targets(runs, List.of(), 100).lines())
                .anyMatch(l -> l.startsWith("target latency p99 @5k")
                        && l.contains("writes/s achieved min 1200")
                        && l.endsWith("-> missed"));
    }

    @Test
    void heapAndStormComeFromThe10kRuns() {
        ObjectNode r = run("livequery-10k-1", 1000, 5, 200, 0.3);
        r.putObject("server_memory").put("heap_per_connection_bytes", 9 * 1024);
        r.putObject("reconnect_storm")
                .put("p99_ms", 2500)
                .put("resumed_share", 1.0)
                .put("resumed_without_reset", 10_000)
                .put("server_cpu_s", 6.0)
                .put("seconds", 3.0)
                .put("loadgen_cpu_s", 4.5);
        List<String> lines = new Targets(runs, List.of(), 100).lines();
        assertThat(lines)
                .anyMatch(l ->
                        l.startsWith("target heap per idle WebSocket connection @10k: 9.0 KB") && l.endsWith("-> met"));
        assertThat(lines)
                .anyMatch(l -> l.startsWith("target reconnect storm @10k: ready p99 2.50 s")
                        && l.contains("gateway cpu 0.60 ms per resumed client")
                        && l.contains("SATURATED in livequery-10k-1 1.50")
                        && l.endsWith("-> met"));
        ((ObjectNode) r.path("reconnect_storm")).put("resumed_share", 0.99);
        assertThat(new Targets(runs, List.of(), 100).lines())
                .anyMatch(l -> l.startsWith("target reconnect storm") && l.endsWith("-> missed"));
    }

    @Test
    void aMismatchOrAnUnverifiedLivequeryRunFails() {
        sideBySide(100, new double[] {30_000}, new double[] {60_000}, new double[] {40_000});
        assertThat(new Targets(runs, List.of(100), 100).verified()).isTrue();
        ((ObjectNode) runs.get("livequery-r100-1").path("verify")).put("mismatched", 2);
        Targets t = new Targets(runs, List.of(100), 100);
        assertThat(t.verified()).isFalse();
        assertThat(t.lines()).anyMatch(l -> l.startsWith("verify: mismatched 2"));
        ((ObjectNode) runs.get("livequery-r100-1")).remove("verify");
        Targets u = new Targets(runs, List.of(100), 100);
        assertThat(u.verified()).isFalse();
        assertThat(u.lines()).anyMatch(l -> l.contains("NOT VERIFIED: livequery-r100-1"));
    }
}
