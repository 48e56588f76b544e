package dev.livequery.loadgen;

import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * Write→client latency through the cluster: one SSE subscriber on gateway B watches the newest 50
 * rows of a table; writers PUT rows stamped with System.nanoTime() through gateway A at a fixed
 * rate. Each write enters at the top of the window, so each one yields exactly one frame carrying
 * its stamp; latency = receipt time - stamp (same JVM, same clock). Bounded: rate x seconds writes.
 *
 * <p>With a warm-up table, the same run is first done untimed on it, in this JVM: the cluster's
 * JVMs and this client's (JIT, connection pools) are both warm when the measured run starts.
 * Writes go through {@link HttpWrites} (Netty, keep-alive connections): the JDK HttpClient spent
 * ~0.75 ms of this JVM's CPU per PUT, on the same cores as the cluster it measures.
 *
 * <p>CPU per write: with {@code -Dlivequery.pids=name=pid,…} (bench/cluster-latency passes every
 * process of the cluster: redis, shards, gateways), the user+system CPU each used during the measured
 * run, divided by the writes offered; this JVM's own CPU is reported apart and not counted. The
 * JVMs among them also report their collector pauses during the run ({@link ServerGc}).
 *
 * usage: ClusterLatency <gatewayA> <gatewayB> <writes-per-second> <seconds> <table> [warm-up-table warm-up-seconds]
 */
public final class ClusterLatency {
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    /** Writes in flight at once (one per connection): far above what the rates in use keep open. */
    private static final int MAX_CONNECTIONS = 512;
    /**
     * The subscriber's window, newest first. Every write must enter it to be counted, and writes
     * race each other through the HTTP clients: with 50 rows, a write overtaken by 50 later ones
     * (50 ms at 1,000/s) was never in the window and looked lost. 500 rows is half a second of
     * overtaking, while a row's previous version (1,000 writes back) is still out of it.
     */
    static final int WINDOW = 500;

    public static void main(String[] args) throws Exception {
        String a = args[0];
        String b = args[1];
        int rate = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        if (args.length > 6 && Integer.parseInt(args[6]) > 0) {
            System.out.printf("warm-up: %s s at %d writes/s (not recorded)%n", args[6], rate);
            run(a, b, rate, Integer.parseInt(args[6]), args[5]);
        }
        Map<String, ServerProbe> cluster = probes(System.getProperty("livequery.pids", ""));
        Map<String, Double> before = cpu(cluster);
        Map<String, ServerGc.Totals> gcBefore = gc(cluster);
        double selfBefore = selfCpuSeconds();
        Result r = run(a, b, rate, seconds, args[4]);
        Map<String, Double> after = cpu(cluster);
        Map<String, ServerGc.Totals> gcAfter = gc(cluster);
        double self = selfCpuSeconds() - selfBefore;
        System.out.printf(
                "writes: %d at %.0f/s offered (%d failed), frames received: %d, resets after the first: %s%n",
                r.total, r.achieved, r.failed, r.received, r.resets.isEmpty() ? "none" : r.resets);
        Histogram h = r.latency;
        System.out.printf(
                "write->client latency (ms): p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (n=%d)%n",
                h.getValueAtPercentile(50) / 1e6,
                h.getValueAtPercentile(90) / 1e6,
                h.getValueAtPercentile(99) / 1e6,
                h.getValueAtPercentile(99.9) / 1e6,
                h.getMaxValue() / 1e6,
                h.getTotalCount());
        double clusterCpu = 0;
        StringBuilder parts = new StringBuilder();
        for (String name : cluster.keySet()) {
            double used = after.get(name) - before.get(name);
            clusterCpu += used;
            parts.append(String.format("%s %.3f, ", name, used * 1e3 / r.total));
        }
        System.out.printf("cpu per write (ms): %sload generator %.3f (not counted)%n", parts, self * 1e3 / r.total);
        StringBuilder paused = new StringBuilder();
        gcAfter.forEach((name, t) -> {
            ServerGc.Totals t0 = gcBefore.get(name);
            if (t0 != null) {
                paused.append(String.format(
                        "%s%s %d in %.0f ms",
                        paused.isEmpty() ? "" : ", ",
                        name,
                        t.pauses() - t0.pauses(),
                        (t.seconds() - t0.seconds()) * 1e3));
            }
        });
        if (!paused.isEmpty()) {
            System.out.printf("gc pauses during the run (JVMs only): %s%n", paused);
        }
        String cpuPerWrite = cluster.isEmpty() || Double.isNaN(clusterCpu)
                ? "n/a"
                : String.format("%.3f", clusterCpu * 1e3 / r.total);
        System.out.printf(
                "cluster: p99 %.1f ms at %d writes/s, %s ms cpu per write%n",
                h.getValueAtPercentile(99) / 1e6, rate, cpuPerWrite);
    }

    /** {@code name=pid,…} → a probe per process, in the given order. */
    static Map<String, ServerProbe> probes(String spec) {
        Map<String, ServerProbe> out = new java.util.LinkedHashMap<>();
        for (String part : spec.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] kv = part.trim().split("=", 2);
            if (kv.length != 2 || !kv[1].matches("\\d+")) {
                throw new IllegalArgumentException("livequery.pids: expected name=pid, got '" + part + "'");
            }
            out.put(kv[0], new ServerProbe(Long.parseLong(kv[1]), null));
        }
        return out;
    }

    private static Map<String, Double> cpu(Map<String, ServerProbe> probes) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        probes.forEach((name, p) -> out.put(name, p.cpuSeconds()));
        return out;
    }

    /** Each JVM's collector pauses so far; processes that are no JVM (redis) are left out. */
    private static Map<String, ServerGc.Totals> gc(Map<String, ServerProbe> probes) {
        Map<String, ServerGc.Totals> out = new java.util.LinkedHashMap<>();
        probes.forEach((name, p) -> {
            ServerGc.Totals t = p.gcPauses();
            if (t != null) {
                out.put(name, t);
            }
        });
        return out;
    }

    private static double selfCpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    record Result(
            long total, double achieved, long failed, long received, Map<String, Integer> resets, Histogram latency) {}

    static Result run(String a, String b, int rate, int seconds, String table) throws Exception {
        // Auto-resizing: a frame however late is recorded (it shows in max and the tail), where a
        // fixed range threw from the reader thread and left the run waiting for frames.
        Histogram h = new Histogram(3);
        AtomicLong received = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(1);
        Map<String, Integer> resets = new ConcurrentHashMap<>();
        long warmupEnd = rate; // the first second's writes are not recorded

        HttpResponse<Stream<String>> sse = HTTP.send(
                HttpRequest.newBuilder(URI.create(b + "/v1/live/" + table + "?order=-t&limit=" + WINDOW))
                        .build(),
                HttpResponse.BodyHandlers.ofLines());
        Thread.ofPlatform()
                .daemon()
                .start(() -> LatencyStream.read(sse, (f, now) -> {
                    String op = f.path("op").asText();
                    if (op.equals("reset") && ready.getCount() == 0) {
                        resets.merge(f.path("cause").asText(), 1, Integer::sum); // frames in between were skipped
                    } else if (op.equals("ready")) {
                        ready.countDown();
                    } else if (op.equals("enter") && f.path("row").has("t")) {
                        received.incrementAndGet();
                        if (f.path("row").path("n").asLong() >= warmupEnd) {
                            synchronized (h) {
                                h.recordValue(Math.max(
                                        0, now - f.path("row").path("t").asLong()));
                            }
                        }
                    }
                }));
        if (!ready.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("no ready from " + b);
        }

        long total = (long) rate * (seconds + 1);
        long periodNanos = 1_000_000_000L / rate;
        long start = System.nanoTime();
        AtomicLong failed = new AtomicLong();
        List<CompletableFuture<Integer>> sent = new ArrayList<>();
        try (HttpWrites http = new HttpWrites(URI.create(a), MAX_CONNECTIONS, null)) {
            for (long n = 0; n < total; n++) {
                long due = start + n * periodNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait); // pacing the open-loop load, not synchronization
                }
                byte[] body = ("{\"t\":" + System.nanoTime() + ",\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8);
                sent.add(http.send(HttpMethod.PUT, "/v1/tables/" + table + "/rows/r" + (n % 1000), body)
                        .whenComplete((status, e) -> {
                            if (e != null || status != 200) {
                                failed.incrementAndGet();
                            }
                        }));
            }
            try {
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // counted per write above
            } catch (java.util.concurrent.TimeoutException e) {
                failed.addAndGet(sent.stream().filter(f -> !f.isDone()).count()); // never answered
            }
        }
        double achieved = total / ((System.nanoTime() - start) / 1e9);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (received.get() < total - failed.get() && System.nanoTime() < deadline) {
            Thread.sleep(50); // draining the tail of the stream; bounded by the deadline above
        }
        sse.body().close();
        synchronized (h) {
            return new Result(total, achieved, failed.get(), received.get(), Map.copyOf(resets), h.copy());
        }
    }
}
