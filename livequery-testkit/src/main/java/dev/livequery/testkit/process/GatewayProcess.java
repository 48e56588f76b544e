package dev.livequery.testkit.process;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * A gateway as a separate JVM ({@code java -cp <runtime classpath> dev.livequery.gateway.Main}) on a
 * free loopback port with the redis backend, so a test can SIGKILL it. Configured the way an
 * operator does it (PROTOCOL §8 environment variables); the port is read from Main's "listening on"
 * log line, and {@link #start} returns once {@code /health} answers 200 (the backend sees a shard).
 */
public final class GatewayProcess implements AutoCloseable {
    /** Named, not linked: the test kit is built before the gateway and depends on no livequery module. */
    private static final String MAIN = "dev.livequery.gateway.Main";

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^:/]+:(\\d+)/");

    public final Process process;
    public final int port;
    public final Path log;

    private GatewayProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** {@code env}: extra environment, e.g. {@code LIVEQUERY_LIMITS_MAX_QUEUED}. */
    public static GatewayProcess start(String redisUri, Map<String, String> env) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("lq.test.classpath", System.getProperty("java.class.path"));
        Path log = Files.createTempFile("lq-gateway", ".log");
        ProcessBuilder pb = new ProcessBuilder(List.of(
                        java,
                        "-Xmx256m",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        "-Dserver.host=127.0.0.1",
                        "-cp",
                        cp,
                        MAIN))
                .redirectErrorStream(true);
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("LIVEQUERY_") || k.startsWith("SERVER_"));
        e.put("LIVEQUERY_BACKEND", "redis");
        e.put("LIVEQUERY_REDIS_URI", redisUri);
        e.put("SERVER_PORT", "0");
        e.put("LIVEQUERY_DEMO_ENABLED", "false");
        e.putAll(env);
        Process p = pb.start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        ProcessLog.pump(
                p,
                log,
                "gateway-process-log",
                line -> {
                    Matcher m = LISTENING.matcher(line);
                    if (!port.isDone() && m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                },
                () -> port.completeExceptionally(new IllegalStateException("gateway exited before listening")));
        GatewayProcess g;
        try {
            g = new GatewayProcess(p, port.get(60, TimeUnit.SECONDS), log);
        } catch (Exception ex) {
            p.destroyForcibly();
            throw new IllegalStateException("gateway did not start: " + ex + "; log:\n" + Files.readString(log), ex);
        }
        try {
            Awaitility.await("gateway on " + g.port + " healthy")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(g::healthy);
        } catch (RuntimeException ex) {
            g.close();
            throw ex;
        }
        return g;
    }

    /** Starts several at once: JVM start-up is the slow part, and they do not depend on each other. */
    public static List<GatewayProcess> startAll(int n, String redisUri, Map<String, String> env) throws Exception {
        List<CompletableFuture<GatewayProcess>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return start(redisUri, env);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        List<GatewayProcess> out = new ArrayList<>();
        Exception failed = null;
        for (CompletableFuture<GatewayProcess> f : fs) {
            try {
                out.add(f.get(120, TimeUnit.SECONDS));
            } catch (Exception e) {
                failed = e;
            }
        }
        if (failed != null) {
            out.forEach(GatewayProcess::close);
            throw failed;
        }
        return out;
    }

    public boolean healthy() {
        try {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Sends a signal ({@code STOP}, {@code CONT}) to the gateway JVM. */
    public void signal(String sig) throws Exception {
        Signals.send(process, sig);
    }

    /** SIGKILL: no shutdown hook, no close frames; clients see their connections drop. */
    public void sigkill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor();
                }
            }
            Files.deleteIfExists(log);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
