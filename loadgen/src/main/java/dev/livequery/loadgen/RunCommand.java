package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code loadgen run}: seed, connect (measuring server heap per connection), warm up, measure,
 * optionally stop a fraction of clients reading, optionally drop everyone and reconnect at once,
 * stop writing, verify every replica, write results JSON and plots.
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Drive a target with connections and writers.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--target", description = "livequery, vertx or socketio (default: ${DEFAULT-VALUE})")
    String target = "livequery";

    @Option(names = "--url", description = "server base URL (default: ${DEFAULT-VALUE})")
    URI url = URI.create("http://127.0.0.1:8080");

    @Option(
            names = {"-n", "--connections"},
            description = "WebSocket connections (default: ${DEFAULT-VALUE})")
    int connections = 1000;

    @Option(names = "--sse-connections", description = "SSE streams (livequery only), one subscription each")
    int sseConnections;

    @Option(
            names = {"-s", "--subs"},
            description = "subscriptions per WebSocket connection (default: ${DEFAULT-VALUE})")
    int subs = 1;

    @Option(
            names = {"-k", "--shapes"},
            description = "distinct shapes/rooms (default: ${DEFAULT-VALUE})")
    int shapes = 10;

    @Option(
            names = {"-w", "--window"},
            description = "window rows (default: ${DEFAULT-VALUE})")
    int window = 50;

    @Option(names = "--rows-per-shape", description = "rows per shape, <= window (default: ${DEFAULT-VALUE})")
    int rowsPerShape = 20;

    @Option(names = "--pad", description = "filler bytes per row (default: ${DEFAULT-VALUE})")
    int pad = 100;

    @Option(names = "--table", description = "table (default: ${DEFAULT-VALUE})")
    String table = "bench";

    @Option(
            names = {"-r", "--rate"},
            description = "writes per second (default: ${DEFAULT-VALUE})")
    double rate = 200;

    @Option(names = "--max-in-flight", description = "outstanding writes cap (default: ${DEFAULT-VALUE})")
    int maxInFlight = 256;

    @Option(names = "--warmup", description = "seconds (default: ${DEFAULT-VALUE})")
    int warmup = 5;

    @Option(
            names = {"-d", "--duration"},
            description = "measured seconds (default: ${DEFAULT-VALUE})")
    int duration = 20;

    @Option(names = "--slow-fraction", description = "share of connections that stop reading in a 'slow' phase")
    double slowFraction;

    @Option(names = "--slow-duration", description = "seconds of the slow phase (default: ${DEFAULT-VALUE})")
    int slowDuration = 25;

    @Option(names = "--storm", description = "drop every WebSocket at once, reconnect and resume (livequery)")
    boolean storm;

    // 0: every dropped client reconnects at once, as browsers do after a blip (each on its own, no
    // shared limit); a limit queues clients behind each other in the load generator, which is no
    // part of a real storm and cost it more CPU (docs/benchmarks.md, the storm's method).
    @Option(
            names = "--storm-concurrency",
            description = "reconnects in flight at once; 0 = every client at once (default: ${DEFAULT-VALUE})")
    int stormConcurrency = 0;

    @Option(
            names = "--connect-concurrency",
            description = "connects in flight during ramp-up (default: ${DEFAULT-VALUE})")
    int connectConcurrency = 256;

    @Option(
            names = "--per-client",
            description = "connections per HttpClient/source address (default: ${DEFAULT-VALUE})")
    int perClient = 500;

    @Option(names = "--first-source-octet", description = "first 127.0.0.x source address (default: ${DEFAULT-VALUE})")
    int firstOctet = 10;

    @Option(names = "--server-pid", description = "server process id, for CPU, RSS and (JVM) heap")
    long serverPid;

    @Option(names = "--java-home", description = "JDK whose jcmd reads the server heap (default: this JVM's)")
    String javaHome = System.getProperty("java.home");

    @Option(names = "--verify-sample", description = "clients whose replicas are verified (default: all)")
    int verifySample = Integer.MAX_VALUE;

    @Option(
            names = {"-o", "--out"},
            description = "directory for results JSON and plots (default: ${DEFAULT-VALUE})")
    Path out = Path.of("loadgen-results");

    @Option(names = "--name", description = "label of this run in file names (default: the target)")
    String name;

    @Option(
            names = "--token",
            description = "livequery only: a JWT sent with every request (PROTOCOL §9): "
                    + "Authorization: Bearer on writes, the access_token parameter on WebSocket and SSE URLs")
    String token;

    @Option(
            names = "--token-file",
            description = "livequery only: one JWT a line; connection c (WebSocket, then SSE) carries line c mod"
                    + " lines, writes carry --token or else the first line")
    Path tokenFile;

    @Option(names = "--max-seconds", description = "hard stop for the whole run (default: ${DEFAULT-VALUE})")
    int maxSeconds = 600;

    @Override
    public Integer call() throws Exception {
        Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(maxSeconds * 1000L);
                System.err.println("loadgen: --max-seconds " + maxSeconds + " passed, stopping");
                System.exit(3);
            } catch (InterruptedException e) {
                // done in time
            }
        });
        String label = name != null ? name : target;
        boolean lq = target.equals("livequery");
        PeerProtocol peer = lq ? null : PeerProtocol.valueOf(target.toUpperCase());
        Workload workload = new Workload(table, shapes, rowsPerShape, window, pad);
        Stats stats = new Stats();
        ServerProbe probe = new ServerProbe(serverPid, javaHome);
        ClientPool pool = new ClientPool(url.getHost(), perClient, firstOctet);
        // Seeds the rows, reads the server's metrics and verifies replicas; the measured writes go
        // through HttpWrites (Netty).
        HttpClient setupHttp =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ClientTokens tokens = ClientTokens.of(token, tokenFile);
        WriteTarget writes = new WriteTarget(url, workload, lq, tokens.writes());
        Fleet fleet = new Fleet();
        FaultPhases faults = new FaultPhases(url, slowFraction, slowDuration, stormInFlight());
        Report report = new Report();
        config(report.root.putObject("config"), label);
        Files.createDirectories(out);
        int exit = 0;
        try (ClientLoad client = new ClientLoad(pool.executor());
                Progress progress = new Progress(stats, probe, client, fleet::connected, System.err)) {
            for (HttpRequest seed : writes.seed()) {
                HttpResponse<String> res = setupHttp.send(seed, HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() != 200) {
                    System.err.println("loadgen: seeding failed: " + res.statusCode() + " " + res.body());
                    return 2;
                }
            }
            long heap0 = probe.heapAfterGc();
            long rss0 = probe.rssBytes();
            URI wsBase = URI.create(url.toString().replaceFirst("^http", "ws"));
            for (int c = 0; c < connections; c++) {
                List<Integer> mine = new ArrayList<>();
                for (int s = 0; s < subs; s++) {
                    mine.add((int) (((long) c * subs + s) % shapes));
                }
                URI wsUri = wsBase.resolve("/v1/ws" + WriteTarget.tokenParam(tokens.forConnection(c), '?'));
                fleet.clients.add(
                        lq
                                ? new LqWsClient(pool, c, wsUri, stats, workload, mine)
                                : new PeerWsClient(pool, c, wsBase, stats, peer, mine));
            }
            for (int c = 0; lq && c < sseConnections; c++) {
                int shape = (connections * subs + c) % shapes;
                fleet.clients.add(new LqSseClient(
                        pool.forConnection(connections + c),
                        url,
                        stats,
                        workload,
                        shape,
                        WriteTarget.tokenParam(tokens.forConnection(connections + c), '&')));
            }
            // before they connect: a buffer is only small from the first window it advertises
            faults.slowClients(fleet.clients).forEach(c -> c.receiveBuffer(FaultPhases.SLOW_RECEIVE_BUFFER));
            progress.phase("connect");
            double[] cpu0 = Measures.cpu(probe);
            Fleet.Round connect = fleet.connectAll(fleet.clients, connectConcurrency, 180);
            Measures.round(report.root.putObject("connect"), connect);
            Measures.cpu(report.root.path("connect"), probe, cpu0, "connect");
            System.err.printf(
                    "loadgen: %d connected, %d failed in %.1f s (%s)%n",
                    connect.ok(), connect.failed(), connect.seconds(), pool.describe());
            System.err.println("loadgen: connect steps: " + connect.stepsLine());
            if (connect.failed() > 0) {
                System.err.println("loadgen: connect errors " + connect.errors());
            }
            Measures.memory(report.root.putObject("server_memory"), probe, heap0, rss0, connect.ok());

            HttpWrites writeHttp = new HttpWrites(url, maxInFlight, writes.bearer());
            WriteDriver driver = new WriteDriver(writeHttp, writes, stats, rate, maxInFlight, maxSeconds);
            Thread writer = Thread.ofPlatform().name("writer").start(driver);
            progress.phase("warmup");
            Thread.sleep(warmup * 1000L);
            progress.phase("measure");
            Thread.sleep(duration * 1000L);
            if (slowFraction > 0) {
                faults.slow(report.root.putObject("slow_consumers"), fleet, progress);
            }
            if (storm && lq) {
                faults.storm(report.root.putObject("reconnect_storm"), fleet, progress, probe);
            }
            progress.phase("drain");
            driver.stop();
            writer.join(10_000);
            quiesce(stats, driver);
            writeHttp.close();
            report.phases(progress.phases());
            report.samples(progress.samples());
            report.root.put("source_addresses", pool.describe());
            report.root.put("closes_seen", stats.closes.sum());
            if (lq) {
                Map<String, Double> m = ServerProbe.metrics(setupHttp, url);
                report.root.put("gateway_resets_total", ServerProbe.sum(m, "livequery_resets_total", ""));
                Verifier.Result v = new Verifier(
                                setupHttp, url, workload, c -> WriteTarget.tokenParam(tokens.forConnection(c), '&'))
                        .verify(fleet.clients, verifySample);
                ObjectNode vn = report.root.putObject("verify");
                vn.put("compared", v.compared());
                vn.put("mismatched", v.mismatched());
                v.examples().forEach(vn.putArray("examples")::add);
                System.err.printf(
                        "loadgen: verified %d replicas against the query: %d mismatched%n",
                        v.compared(), v.mismatched());
                v.examples().forEach(e -> System.err.println("  " + e));
                if (!v.ok()) {
                    exit = 1;
                }
            }
            report.root.put("exit", exit);
            Path json = out.resolve(label + ".json");
            report.write(json);
            Plots.latency(out.resolve(label + "-latency.png"), label + ": write→client latency", progress.phases());
            Plots.throughput(out.resolve(label + "-throughput.png"), label + ": throughput", progress.samples());
            System.err.println("loadgen: results in " + json.toAbsolutePath());
            System.out.println(Summary.of(report.root));
        }
        return exit;
    }

    private void config(ObjectNode n, String label) {
        n.put("name", label);
        n.put("target", target);
        n.put("url", url.toString());
        n.put("token", token != null || tokenFile != null); // whether, never the token itself
        n.put("connections", connections);
        n.put("sse_connections", sseConnections);
        n.put("subs_per_connection", subs);
        n.put("shapes", shapes);
        n.put("window", window);
        n.put("rows_per_shape", rowsPerShape);
        n.put("pad_bytes", pad);
        n.put("rate", rate);
        n.put("warmup_s", warmup);
        n.put("duration_s", duration);
        n.put("slow_fraction", slowFraction);
        n.put("storm", storm);
        n.put("storm_concurrency", stormInFlight());
        n.put("subscribers_per_shape", (double) (connections * subs + sseConnections) / shapes);
    }

    /** Reconnects in flight at once in the storm (and the slow phase's reconnect). */
    private int stormInFlight() {
        return stormConcurrency > 0 ? stormConcurrency : Math.max(1, connections + sseConnections);
    }

    private static void quiesce(Stats stats, WriteDriver driver) throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 60; i++) {
            long now = stats.frames.sum();
            if (now == last && driver.inFlight() == 0) {
                return;
            }
            last = now;
            Thread.sleep(1000);
        }
    }
}
