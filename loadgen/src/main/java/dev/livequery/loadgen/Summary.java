package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/** The few lines printed on stdout at the end of a run. */
final class Summary {
    private Summary() {}

    static String of(JsonNode root) {
        StringBuilder b = new StringBuilder();
        b.append(root.path("config").path("name").asText()).append('\n');
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("phases").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode p = e.getValue();
            JsonNode l = p.path("latency");
            b.append(String.format(
                    "  %-11s %6.1fs  writes %8.1f/s  deliveries %9.1f/s  per server cpu-s %9.1f"
                            + "  p50 %6.2f  p99 %7.2f  p99.9 %7.2f  max %7.2f ms%n",
                    e.getKey(),
                    p.path("seconds").asDouble(),
                    p.path("writes_per_s").asDouble(),
                    p.path("deliveries_per_s").asDouble(),
                    p.path("deliveries_per_server_cpu_s").asDouble(),
                    l.path("p50_ms").asDouble(),
                    l.path("p99_ms").asDouble(),
                    l.path("p999_ms").asDouble(),
                    l.path("max_ms").asDouble()));
            b.append(String.format(
                    "  %-11s loadgen cpu %.2f cores, lag p99 %.2f max %.2f ms%s%n",
                    "",
                    p.path("loadgen_cores_busy").asDouble(),
                    p.path("loadgen_lag").path("p99_ms").asDouble(),
                    p.path("loadgen_lag").path("max_ms").asDouble(),
                    p.path("loadgen_saturated").asBoolean()
                            ? "  SATURATED (over " + ClientLoad.SATURATED_CORES
                                    + " of a core: latency includes the client's own queueing)"
                            : ""));
            if (p.has("server_gc_pauses")) {
                b.append(String.format(
                        "  %-11s server gc %d pauses, %.0f ms paused (%.1f%% of the phase)%n",
                        "",
                        p.path("server_gc_pauses").asLong(),
                        p.path("server_gc_pause_ms").asDouble(),
                        p.path("server_gc_paused_pct").asDouble()));
            }
        }
        JsonNode mem = root.path("server_memory");
        if (mem.has("heap_per_connection_bytes") || mem.has("rss_per_connection_bytes")) {
            b.append(String.format(
                    "  server memory per connection: heap %d B, rss %d B%n",
                    mem.path("heap_per_connection_bytes").asLong(-1),
                    mem.path("rss_per_connection_bytes").asLong(-1)));
        }
        JsonNode c = root.path("connect");
        if (c.has("seconds")) {
            b.append(String.format(
                    "  connect: %d connected, %d failed in %.1f s (ready p50 %d, p99 %d ms)%n",
                    c.path("ok").asInt(),
                    c.path("failed").asInt(),
                    c.path("seconds").asDouble(),
                    c.path("p50_ms").asLong(-1),
                    c.path("p99_ms").asLong(-1)));
        }
        JsonNode s = root.path("reconnect_storm");
        if (s.has("seconds")) {
            b.append(String.format(
                    "  reconnect storm: %d reconnected, %d failed in %.1f s (ready p50 %d, p99 %d ms); "
                            + "%d/%d subscriptions resumed without reset%n",
                    s.path("ok").asInt(),
                    s.path("failed").asInt(),
                    s.path("seconds").asDouble(),
                    s.path("p50_ms").asLong(-1),
                    s.path("p99_ms").asLong(-1),
                    s.path("resumed_without_reset").asLong(),
                    s.path("subscriptions").asLong()));
        }
        if (root.has("verify")) {
            b.append("  verify: ").append(root.path("verify")).append('\n');
        }
        return b.toString();
    }
}
