package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fan-out targets (docs/benchmarks.md, "Fan-out targets"), judged from the results JSON of
 * one {@code bench/run}: one line per target with the median over runs, its spread and
 * met/missed, a load-generator note (a client over {@link ClientLoad#SATURATED_CORES} of a core
 * is flagged, so its queueing is not read as server latency), the replica check, and last the {@code fanout:} line. A target whose runs are
 * absent (e.g. {@code bench/run --quick}) says {@code not run} rather than a verdict.
 *
 * <p>Runs are named {@code <server>-r<rate>-<i>} (side by side, server = livequery, vertx or
 * socketio), {@code livequery-5k-<i>} and {@code livequery-10k-<i>}. Ratios are paired: run i of
 * livequery against run i of the peer, which ran right after it under the same machine load, then
 * the median of those ratios.
 */
final class Targets {
    static final String OURS = "livequery";
    private static final Pattern RUN = Pattern.compile("(.+)-(\\d+)");
    private final Map<String, JsonNode> runs;
    private final List<Integer> rates;
    private final int standardRate;
    private long compared;
    private long mismatched;
    private final List<String> unverified = new ArrayList<>();

    /** {@code runs}: label → results JSON root. */
    Targets(Map<String, JsonNode> runs, List<Integer> rates, int standardRate) {
        this.runs = new TreeMap<>(runs);
        this.rates = rates;
        this.standardRate = standardRate;
    }

    /** Every output line; the last is {@code fanout: <x>x socket.io, <y>x vertx per server cpu-s}. */
    List<String> lines() {
        List<String> out = new ArrayList<>();
        for (int rate : rates) {
            out.add(ratioLine(
                    "fanout vs socket.io @" + rate + " w/s (deliveries per server cpu-s)",
                    "r" + rate,
                    "socketio",
                    Targets::fanout,
                    ">= 2x",
                    r -> r >= 2));
            out.add(ratioLine(
                    "fanout vs vertx @" + rate + " w/s (deliveries per server cpu-s)",
                    "r" + rate,
                    "vertx",
                    Targets::fanout,
                    ">= 0.9x",
                    r -> r >= 0.9));
        }
        String std = "r" + standardRate;
        out.add(ratioLine(
                "bytes per delivery vs bare vertx broadcast @" + standardRate + " w/s",
                std,
                "vertx",
                Targets::bytesPerDelivery,
                "<= 1.25x",
                r -> r <= 1.25));
        String conns = runsOf(OURS + "-" + std).stream()
                .findFirst()
                .map(l -> runs.get(l).path("config").path("connections").asText() + " connections, ")
                .orElse("");
        out.add(ratioLine(
                "latency p99 vs vertx p99 @" + conns + standardRate + " w/s",
                std,
                "vertx",
                Targets::p99,
                "<= 1.2x",
                r -> r <= 1.2));
        out.add(fiveK());
        out.add(idleHeap());
        out.add(storm());
        out.add(verifyLine());
        out.add(String.format(
                Locale.ROOT,
                "fanout: %.2fx socket.io, %.2fx vertx per server cpu-s",
                median(ratios(std, "socketio", Targets::fanout)),
                median(ratios(std, "vertx", Targets::fanout))));
        return out;
    }

    /** True when every livequery run verified its replicas and none mismatched. */
    boolean verified() {
        lines();
        return mismatched == 0 && unverified.isEmpty() && compared > 0;
    }

    static double fanout(JsonNode run) {
        return number(measure(run).path("deliveries_per_server_cpu_s"));
    }

    static double bytesPerDelivery(JsonNode run) {
        JsonNode m = measure(run);
        double d = number(m.path("deliveries_per_s"));
        return d > 0 ? number(m.path("bytes_per_s")) / d : Double.NaN;
    }

    static double p99(JsonNode run) {
        return number(measure(run).path("latency").path("p99_ms"));
    }

    private String ratioLine(
            String what,
            String suite,
            String peer,
            ToDoubleFunction<JsonNode> metric,
            String goal,
            java.util.function.DoublePredicate ok) {
        double[] r = ratios(suite, peer, metric);
        if (r.length == 0) {
            return "target " + what + ": no runs -> not run";
        }
        List<String> labels = new ArrayList<>(runsOf(OURS + "-" + suite));
        labels.addAll(runsOf(peer + "-" + suite));
        double m = median(r);
        double ours = median(values(runsOf(OURS + "-" + suite), metric));
        double theirs = median(values(runsOf(peer + "-" + suite), metric));
        return String.format(
                Locale.ROOT,
                "target %s: %.2fx %s (%s vs %s); goal %s; %s -> %s",
                what,
                m,
                spread(r),
                plain(ours),
                plain(theirs),
                goal,
                client(labels),
                verdict(ok.test(m)));
    }

    private String fiveK() {
        String what = "latency p99 @5k connections, 2,000 writes/s";
        List<String> labels = runsOf(OURS + "-5k");
        if (labels.isEmpty()) {
            return "target " + what + ": no runs -> not run";
        }
        double[] p99 = values(labels, Targets::p99);
        long under = Arrays.stream(p99).filter(v -> v < 50).count();
        double minWrites = Double.MAX_VALUE;
        boolean rateKept = true;
        for (String l : labels) {
            JsonNode run = runs.get(l);
            double w = number(measure(run).path("writes_per_s"));
            minWrites = Math.min(minWrites, w);
            rateKept &= w >= 0.95 * number(run.path("config").path("rate"));
        }
        return String.format(
                Locale.ROOT,
                "target %s: p99 %s ms %s, under 50 ms in %d of %d runs, writes/s achieved "
                        + "min %.0f; goal < 50 ms in every run at the offered rate; %s%s -> %s",
                what,
                plain(median(p99)),
                spread(p99),
                under,
                labels.size(),
                minWrites,
                client(labels),
                paused(labels),
                verdict(under == labels.size() && rateKept));
    }

    /**
     * How long the gateway stood in collector pauses in the measured phase, at most over
     * {@code labels}: a p99 near a pause's length while the server was paused for over 1% of the
     * phase is the collector's, not queueing. Empty when no run could read the server's pauses.
     */
    private String paused(List<String> labels) {
        double maxShare = -1;
        long pauses = 0;
        for (String l : labels) {
            JsonNode m = measure(runs.get(l));
            double share = number(m.path("server_gc_paused_pct"));
            if (share >= 0 && share > maxShare) {
                maxShare = share;
                pauses = m.path("server_gc_pauses").asLong();
            }
        }
        return maxShare < 0
                ? ""
                : String.format(
                        Locale.ROOT, "; gateway in GC pauses max %.1f%% of the phase (%d pauses)", maxShare, pauses);
    }

    private String idleHeap() {
        String what = "heap per idle WebSocket connection @10k";
        List<String> labels = runsOf(OURS + "-10k");
        double[] kb = values(labels, r -> number(r.path("server_memory").path("heap_per_connection_bytes")) / 1024);
        if (kb.length == 0) {
            return "target " + what + ": no runs -> not run";
        }
        double m = median(kb);
        return String.format(
                Locale.ROOT, "target %s: %.1f KB %s; goal <= 10 KB -> %s", what, m, spread(kb), verdict(m <= 10));
    }

    private String storm() {
        String what = "reconnect storm @10k";
        List<String> labels = runsOf(OURS + "-10k");
        double[] p99 = values(labels, r -> number(r.path("reconnect_storm").path("p99_ms")) / 1000);
        if (p99.length == 0) {
            return "target " + what + ": no runs -> not run";
        }
        double[] share = values(labels, r -> number(r.path("reconnect_storm").path("resumed_share")));
        double[] cpuMs = values(labels, r -> {
            JsonNode s = r.path("reconnect_storm");
            double resumed = number(s.path("resumed_without_reset"));
            return resumed > 0 ? number(s.path("server_cpu_s")) * 1000 / resumed : Double.NaN;
        });
        double minShare = Arrays.stream(share).min().orElse(0);
        double m = median(p99);
        StringBuilder sat = new StringBuilder();
        double maxCores = 0;
        for (String l : labels) {
            JsonNode s = runs.get(l).path("reconnect_storm");
            double secs = number(s.path("seconds"));
            double cores = secs > 0 ? number(s.path("loadgen_cpu_s")) / secs : Double.NaN;
            if (Double.isFinite(cores)) {
                maxCores = Math.max(maxCores, cores);
                if (cores > ClientLoad.SATURATED_CORES) {
                    sat.append(sat.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.2f", l, cores));
                }
            }
        }
        String client = sat.isEmpty()
                ? String.format(Locale.ROOT, "load generator max %.2f cores", maxCores)
                : "load generator SATURATED in " + sat + " cores (its queueing is in the ready times)";
        return String.format(
                Locale.ROOT,
                "target %s: ready p99 %.2f s %s, resumed without reset min %.1f%%, "
                        + "gateway cpu %s ms per resumed client; goal p99 <= 3 s and 100%% resumed; %s -> %s",
                what,
                m,
                spread(p99),
                minShare * 100,
                plain(median(cpuMs)),
                client,
                verdict(m <= 3 && minShare >= 1));
    }

    private String verifyLine() {
        compared = 0;
        mismatched = 0;
        unverified.clear();
        int checked = 0;
        for (Map.Entry<String, JsonNode> e : runs.entrySet()) {
            if (!e.getKey().startsWith(OURS + "-")) {
                continue;
            }
            checked++;
            JsonNode v = e.getValue().path("verify");
            if (!v.has("mismatched")) {
                unverified.add(e.getKey());
                continue;
            }
            compared += v.path("compared").asLong();
            mismatched += v.path("mismatched").asLong();
        }
        String line = "verify: mismatched " + mismatched + " (" + compared + " replicas compared over " + checked
                + " livequery runs)";
        return unverified.isEmpty() ? line : line + "; NOT VERIFIED: " + String.join(", ", unverified);
    }

    /** Paired ratios ours/peer of the runs {@code <server>-<suite>-<i>} present for both. */
    double[] ratios(String suite, String peer, ToDoubleFunction<JsonNode> metric) {
        List<Double> out = new ArrayList<>();
        for (String l : runsOf(OURS + "-" + suite)) {
            JsonNode theirs = runs.get(peer + "-" + suite + l.substring(l.lastIndexOf('-')));
            if (theirs == null) {
                continue;
            }
            double a = metric.applyAsDouble(runs.get(l));
            double b = metric.applyAsDouble(theirs);
            if (Double.isFinite(a) && Double.isFinite(b) && b > 0) {
                out.add(a / b);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Labels {@code <prefix>-<i>}, in run order. */
    private List<String> runsOf(String prefix) {
        List<String> out = new ArrayList<>();
        for (String l : runs.keySet()) {
            Matcher m = RUN.matcher(l);
            if (m.matches() && m.group(1).equals(prefix)) {
                out.add(l);
            }
        }
        out.sort(java.util.Comparator.comparingInt(l -> Integer.parseInt(l.substring(l.lastIndexOf('-') + 1))));
        return out;
    }

    private double[] values(List<String> labels, ToDoubleFunction<JsonNode> metric) {
        return labels.stream()
                .mapToDouble(l -> metric.applyAsDouble(runs.get(l)))
                .filter(Double::isFinite)
                .toArray();
    }

    /** The load generator's busiest measured phase among {@code labels}, and every saturated run by name. */
    private String client(List<String> labels) {
        double maxCores = 0;
        double maxLag = 0;
        List<String> saturated = new ArrayList<>();
        for (String l : labels) {
            JsonNode m = measure(runs.get(l));
            double cores = number(m.path("loadgen_cores_busy"));
            if (Double.isFinite(cores)) {
                maxCores = Math.max(maxCores, cores);
            }
            double lag = number(m.path("loadgen_lag").path("p99_ms"));
            if (Double.isFinite(lag)) {
                maxLag = Math.max(maxLag, lag);
            }
            if (m.path("loadgen_saturated").asBoolean()) {
                saturated.add(String.format(Locale.ROOT, "%s %.2f cores", l, cores));
            }
        }
        String load =
                String.format(Locale.ROOT, "load generator max %.2f cores, lag p99 max %s ms", maxCores, plain(maxLag));
        return saturated.isEmpty()
                ? load
                : load + ", SATURATED in " + String.join(", ", saturated) + " (its queueing is in the latency)";
    }

    private static JsonNode measure(JsonNode run) {
        return run.path("phases").path("measure");
    }

    private static double number(JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String spread(double[] v) {
        double min = Arrays.stream(v).min().orElse(Double.NaN);
        double max = Arrays.stream(v).max().orElse(Double.NaN);
        return String.format(
                Locale.ROOT, "[%s-%s, %d run%s]", plain(min), plain(max), v.length, v.length == 1 ? "" : "s");
    }

    private static String plain(double v) {
        if (!Double.isFinite(v)) {
            return "n/a";
        }
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String verdict(boolean met) {
        return met ? "met" : "missed";
    }
}
