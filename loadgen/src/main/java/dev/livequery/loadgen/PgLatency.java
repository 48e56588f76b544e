package dev.livequery.loadgen;

import dev.livequery.core.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * Commit→client latency of the Postgres source, side by side with the same rows written through
 * the HTTP API. Writers update rows r0…r{ROWS-1} round robin, each change its own autocommit
 * transaction (or PUT) stamped with System.nanoTime(); one SSE subscriber holds a window of all
 * rows, so every change is one update frame carrying its stamp; latency = receipt - stamp (same
 * JVM). CPU per change = the livequery processes' (and, for the source, Postgres') CPU time during
 * the run divided by the changes, from /proc.
 *
 * <p>Embedded mode: one gateway, both URLs the same. Cluster mode: the HTTP writes go to one
 * gateway, the subscriber sits on another (a write crosses Redis and a shard, as a source
 * transaction does), and the pids are every process of the cluster (redis, shards, gateways).
 *
 * <p>Run by {@code bench/pg-latency}, which starts Postgres and the gateways; the Postgres JDBC
 * driver comes from the gateway's libraries on the class path.
 *
 * <p>usage: PgLatency <label> <write-gateway-url> <subscribe-gateway-url> <jdbc-url> <pid,pid,...>
 *        <postmaster.pid file> <seconds> <rate>...
 * Prints one line per rate and path: {@code <label> <path> <rate> changes/s offered, ... p99 <ms> ...}.
 */
public final class PgLatency {
    static final int ROWS = 500;
    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public static void main(String[] a) throws Exception {
        if (a.length < 8) {
            System.err.println("usage: PgLatency <label> <write-gateway-url> <subscribe-gateway-url> <jdbc-url> "
                    + "<pid,pid,...> <postmaster.pid file> <seconds> <rate>...");
            System.exit(2);
        }
        String label = a[0];
        String writeGw = a[1];
        String subGw = a[2];
        String jdbc = a[3];
        long[] pids = Arrays.stream(a[4].split(","))
                .filter(x -> !x.isBlank())
                .mapToLong(Long::parseLong)
                .toArray();
        long pgPid = Long.parseLong(Files.readAllLines(Path.of(a[5])).get(0).trim()); // postmaster.pid
        int seconds = Integer.parseInt(a[6]);
        int[] rates = Arrays.stream(a, 7, a.length).mapToInt(Integer::parseInt).toArray();
        for (String mode : List.of("postgres", "http")) {
            // warm-up, not recorded: JIT-compiled processes for the first measured rate
            run(label, mode, writeGw, subGw, jdbc, pids, pgPid, Math.min(rates[0], 1000), 3, false);
            for (int rate : rates) {
                run(label, mode, writeGw, subGw, jdbc, pids, pgPid, rate, seconds, true);
            }
        }
    }

    static void run(
            String label,
            String mode,
            String writeGw,
            String gw,
            String jdbc,
            long[] pids,
            long pgPid,
            int rate,
            int seconds,
            boolean report)
            throws Exception {
        String table = mode.equals("postgres") ? "lat" : "lat_http";
        // Auto-resizing: a frame however late is recorded (it shows in max and the tail), where a
        // fixed range threw from the reader thread and left the run waiting for frames.
        Histogram h = new Histogram(3);
        long total = (long) rate * seconds;
        AtomicLong received = new AtomicLong();
        Map<String, Integer> resets = new ConcurrentSkipListMap<>();
        CountDownLatch ready = new CountDownLatch(1);
        HttpResponse<Stream<String>> sse = HTTP.send(
                HttpRequest.newBuilder(URI.create(gw + "/v1/live/" + table + "?order=id&limit=" + ROWS))
                        .build(),
                HttpResponse.BodyHandlers.ofLines());
        AtomicLong since = new AtomicLong(Long.MAX_VALUE);
        AtomicLong lastFrame = new AtomicLong();
        // each row's n as the subscriber's window holds it, to tell frames merged by the source from lost ones
        Map<String, Long> held = new ConcurrentHashMap<>();
        Thread reader = Thread.ofPlatform()
                .start(() -> LatencyStream.read(sse, (f, now) -> {
                    // only this run's changes: an earlier run's (the warm-up, a lower rate) may still arrive
                    String op = f.path("op").asText();
                    long stamp = f.path("row").path("sent").asLong();
                    if (op.equals("ready")) {
                        ready.countDown();
                    } else if (op.equals("reset") && ready.getCount() == 0) {
                        // an overflow reset supersedes the frames queued for this reader: those
                        // missing updates were replaced by a fresh snapshot, whose enters follow
                        resets.merge(f.path("cause").asText(), 1, Integer::sum);
                        held.clear();
                    } else if (op.equals("update") && stamp >= since.get()) {
                        h.recordValue(Math.max(0, now - stamp));
                        received.incrementAndGet();
                        lastFrame.set(now);
                    }
                    if (op.equals("enter") || op.equals("update")) {
                        held.put(f.path("id").asText(), f.path("row").path("n").asLong());
                    }
                }));
        ready.await(30, TimeUnit.SECONDS);
        int writers =
                mode.equals("postgres") ? 16 : 4; // a commit waits for its WAL flush: more writers to reach the rate
        ScheduledExecutorService pace = Executors.newScheduledThreadPool(writers);
        AtomicLong sent = new AtomicLong();
        AtomicLong written = new AtomicLong();
        long periodNanos = 1_000_000_000L * writers / rate;
        List<Connection> connections = new java.util.ArrayList<>();
        for (int w = 0; w < writers && mode.equals("postgres"); w++) {
            connections.add(DriverManager.getConnection(jdbc, "postgres", "")); // before the clock starts
        }
        double cpu0 = cpu(pids) + (mode.equals("postgres") ? cpuTree(pgPid) : 0);
        since.set(System.nanoTime());
        long start = System.nanoTime();
        for (int w = 0; w < writers; w++) {
            Connection c = connections.isEmpty() ? null : connections.get(w);
            PreparedStatement p =
                    c == null ? null : c.prepareStatement("update lat set n = n + 1, sent = ? where id = ?");
            pace.scheduleAtFixedRate(
                    () -> {
                        long i = sent.getAndIncrement();
                        if (i >= total) {
                            throw new RuntimeException("done"); // cancels this writer's schedule
                        }
                        String id = "r" + (i % ROWS);
                        try {
                            if (p != null) {
                                p.setLong(1, System.nanoTime());
                                p.setString(2, id);
                                p.executeUpdate();
                            } else {
                                HTTP.send(
                                        HttpRequest.newBuilder(URI.create(writeGw + "/v1/tables/lat_http/rows/" + id))
                                                .header("Content-Type", "application/json")
                                                .PUT(HttpRequest.BodyPublishers.ofString(
                                                        "{\"n\":" + i + ",\"sent\":" + System.nanoTime() + "}"))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding());
                            }
                            written.incrementAndGet();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    w * periodNanos / writers,
                    periodNanos,
                    TimeUnit.NANOSECONDS);
        }
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds + 60);
        long check = 0;
        while (received.get() < total && System.nanoTime() < deadline) {
            Thread.sleep(50); // a benchmark's progress poll, not test synchronisation
            // Merged changes never arrive as frames of their own: once every write is done, the run
            // ends as soon as the window holds the truth, not at the deadline.
            if (written.get() >= total && System.nanoTime() >= check) {
                check = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                if (differing(mode, jdbc, gw, table, held) == 0) {
                    break;
                }
            }
        }
        double last = Math.max(0, lastFrame.get() - start) / 1e9;
        double cpu = cpu(pids) + (mode.equals("postgres") ? cpuTree(pgPid) : 0) - cpu0;
        pace.shutdownNow();
        pace.awaitTermination(10, TimeUnit.SECONDS);
        for (Connection c : connections) {
            c.close();
        }
        sse.body().close();
        reader.interrupt();
        String missing = "";
        if (received.get() < total) {
            // Fewer frames than changes: the cluster source writes a batch's changes of one row as
            // one (its last), and a reset replaces queued frames by a snapshot. Lost only if the
            // window the subscriber holds differs from the truth.
            long differ = differing(mode, jdbc, gw, table, held);
            missing = differ == 0
                    ? " (" + (total - received.get())
                            + (resets.isEmpty()
                                    ? " changes merged into later ones"
                                    : " changes merged into later ones or replaced by a reset's snapshot")
                            + "; every row as held equals " + (mode.equals("postgres") ? "Postgres" : "the store")
                            + ")"
                    : " (frames missing: LOST; " + differ + " of " + ROWS + " rows as held differ from the truth)";
        }
        if (report) {
            System.out.printf(
                    "%-8s %-8s %5d changes/s offered, %d of %d received, the last %.1f s after the first write:"
                            + " commit->client ms p50 %.2f p90 %.2f "
                            + "p99 %.2f max %.2f; CPU %.1f us/change (%s); resets %s%s%n",
                    label,
                    mode,
                    rate,
                    received.get(),
                    total,
                    last,
                    h.getValueAtPercentile(50) / 1e6,
                    h.getValueAtPercentile(90) / 1e6,
                    h.getValueAtPercentile(99) / 1e6,
                    h.getMaxValue() / 1e6,
                    cpu * 1e6 / total, // every change committed costs, merged or not
                    (pids.length > 1 ? "cluster" : "gateway") + (mode.equals("postgres") ? " + postgres" : ""),
                    resets.isEmpty() ? "0" : resets.toString(),
                    missing);
        }
    }

    /** How many rows the subscriber holds differently from the truth (Postgres's or the store's). */
    private static long differing(String mode, String jdbc, String gw, String table, Map<String, Long> held)
            throws SQLException, IOException, InterruptedException {
        Map<String, Long> truth = mode.equals("postgres") ? postgresRows(jdbc) : storedRows(gw, table);
        return truth.entrySet().stream()
                .filter(e -> !e.getValue().equals(held.get(e.getKey())))
                .count();
    }

    /** Every row's n in Postgres's table {@code lat}. */
    static Map<String, Long> postgresRows(String jdbc) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        try (Connection c = DriverManager.getConnection(jdbc, "postgres", "");
                var rs = c.createStatement().executeQuery("select id, n from lat")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }

    /** Every row's n as the gateway's store has it (one-shot query of the whole table). */
    static Map<String, Long> storedRows(String gw, String table) throws IOException, InterruptedException {
        String body = HTTP.send(
                        HttpRequest.newBuilder(URI.create(gw + "/v1/tables/" + table + "/query?order=id&limit=" + ROWS))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        Map<String, Long> out = new HashMap<>();
        for (var row : Json.MAPPER.readTree(body).path("rows")) {
            out.put(row.path("id").asText(), row.path("n").asLong());
        }
        return out;
    }

    /** User+system CPU seconds of the processes, from /proc. */
    static double cpu(long[] pids) {
        double sum = 0;
        for (long p : pids) {
            sum += new ServerProbe(p, null).cpuSeconds();
        }
        return sum;
    }

    /** CPU of Postgres: the postmaster and its children (backends, the walsender, background workers). */
    static double cpuTree(long postmaster) throws IOException {
        double sum = new ServerProbe(postmaster, null).cpuSeconds();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(x -> x.getFileName().toString().chars().allMatch(Character::isDigit))
                    .toList()) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (Long.parseLong(f[1]) == postmaster) {
                        sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // clock ticks
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile
                }
            }
        }
        return sum;
    }
}
