package dev.livequery.shard;

import com.sun.net.httpserver.HttpServer;
import dev.livequery.core.EngineOptions;
import dev.livequery.shard.cluster.Shard;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The shard process: {@code java -jar livequery-shard.jar --id s1 --redis redis://127.0.0.1:6379}.
 * Every option also reads an environment variable ({@code LIVEQUERY_SHARD_ID}, {@code LIVEQUERY_REDIS_URI},
 * …), so containers configure it the same way as the gateway.
 */
@Command(
        name = "livequery-shard",
        mixinStandardHelpOptions = true,
        description = "Runs one live-query shard over Redis: owns partitions by lease, serves gateways' subscriptions.")
public final class ShardMain implements Callable<Integer> {
    @Option(
            names = "--id",
            defaultValue = "${env:LIVEQUERY_SHARD_ID}",
            description = "Unique shard id (default: env LIVEQUERY_SHARD_ID, else the host name).")
    String id;

    @Option(
            names = "--redis",
            defaultValue = "${env:LIVEQUERY_REDIS_URI:-redis://127.0.0.1:6379}",
            description = "redis://host:port, or redis-cluster://h1:p1,h2:p2 (env LIVEQUERY_REDIS_URI).")
    String redis;

    @Option(
            names = "--ttl",
            defaultValue = "${env:LIVEQUERY_SHARD_TTL:-PT3S}",
            description = "Heartbeat and lease TTL, ISO-8601 (env LIVEQUERY_SHARD_TTL; default PT3S).")
    Duration ttl;

    @Option(
            names = "--horizon",
            defaultValue = "${env:LIVEQUERY_HORIZON:-${env:LIVEQUERY_RESUME_HORIZON_CHANGES:-10000}}",
            description = "Changes each partition's engine keeps for resume, default 10000 (env LIVEQUERY_HORIZON,"
                    + " else the gateways' LIVEQUERY_RESUME_HORIZON_CHANGES: keep it the gateways'"
                    + " livequery.resume.horizon-changes, whose writes trim the streams in Redis).")
    int horizon;

    @Option(
            names = "--horizon-time",
            defaultValue = "${env:LIVEQUERY_HORIZON_TIME:-${env:LIVEQUERY_RESUME_HORIZON_TIME:-PT5M}}",
            description = "And changes at least this young, whichever keeps more, default PT5M (env"
                    + " LIVEQUERY_HORIZON_TIME, else the gateways' LIVEQUERY_RESUME_HORIZON_TIME: keep it the"
                    + " gateways' livequery.resume.horizon-time).")
    Duration horizonTime;

    @Option(
            names = "--max-window",
            defaultValue = "${env:LIVEQUERY_LIMITS_MAX_WINDOW:-1000}",
            description = "livequery.limits.max-window, as the gateways have it (env LIVEQUERY_LIMITS_MAX_WINDOW).")
    int maxWindow;

    @Option(
            names = "--max-queued",
            defaultValue = "${env:LIVEQUERY_LIMITS_MAX_QUEUED:-1024}",
            description = "livequery.limits.max-queued, as the gateways have it (env LIVEQUERY_LIMITS_MAX_QUEUED).")
    int maxQueued;

    @Option(
            names = "--max-views",
            defaultValue = "${env:LIVEQUERY_LIMITS_MAX_VIEWS:-1000}",
            description = "livequery.limits.max-views, as the gateways have it (env LIVEQUERY_LIMITS_MAX_VIEWS).")
    int maxViews;

    @Option(
            names = "--max-view-rows",
            defaultValue = "${env:LIVEQUERY_LIMITS_MAX_VIEW_ROWS:-20000000}",
            description = "livequery.limits.max-view-rows, as the gateways have it, for each partition's engine "
                    + "(env LIVEQUERY_LIMITS_MAX_VIEW_ROWS).")
    long maxViewRows;

    @Option(
            names = "--max-changes",
            defaultValue = "${env:LIVEQUERY_RESUME_MAX_CHANGES:-1000000}",
            description = "livequery.resume.max-changes: hard cap on changes kept per table for resume "
                    + "(env LIVEQUERY_RESUME_MAX_CHANGES).")
    int maxChanges;

    @Option(
            names = "--tables",
            split = ",",
            defaultValue = "${env:LIVEQUERY_TABLES_ALLOW}",
            description = "livequery.tables.allow, comma-separated; empty allows any (env LIVEQUERY_TABLES_ALLOW).")
    java.util.List<String> tables;

    @Option(
            names = "--secret",
            defaultValue = "${env:LIVEQUERY_SECRET}",
            description =
                    "HMAC secret for cursors and resume tokens; the same on every shard and gateway (env LIVEQUERY_SECRET).")
    String secret;

    @Option(
            names = "--metrics-port",
            defaultValue = "${env:LIVEQUERY_METRICS_PORT:-0}",
            description = "Port for GET /metrics and /health (0: none; env LIVEQUERY_METRICS_PORT).")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        if (id == null || id.isBlank()) {
            id = InetAddress.getLocalHost().getHostName();
        }
        // The same limits as the gateways (PROTOCOL §8), so a window a gateway accepts is one the
        // shard serves, and the resume horizon a client is promised is the one the shard keeps.
        EngineOptions options = EngineOptions.builder()
                .horizon(Math.min(horizon, maxChanges), horizonTime, maxChanges)
                .maxWindow(maxWindow)
                .maxQueued(maxQueued)
                .maxViews(maxViews)
                .maxViewRows(maxViewRows)
                .tables(tables == null ? java.util.Set.of() : java.util.Set.copyOf(tables))
                .build();
        if (secret != null && !secret.isBlank()) {
            options = options.withSecret(secret.getBytes(StandardCharsets.UTF_8));
        } else {
            System.err.println("livequery-shard: no --secret / LIVEQUERY_SECRET; using the development secret");
        }
        // secret rotation and size limits: the same keys as the gateway's, from the environment
        options = options.withKeys(key -> System.getenv(EngineOptions.envName(key)));
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Shard shard =
                new Shard(new Shard.Config(id, redis, options, ttl.toMillis(), Math.min(horizon, maxChanges)), metrics);
        try {
            shard.start();
        } catch (IllegalStateException e) {
            System.err.println("livequery-shard: " + e.getMessage());
            return 2;
        }
        HttpServer http = null;
        if (metricsPort > 0) {
            http = HttpServer.create(new InetSocketAddress(metricsPort), 0);
            http.createContext("/metrics", ex -> {
                byte[] b = metrics.scrape().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            http.createContext("/health", ex -> {
                byte[] b =
                        ("{\"status\":\"UP\",\"owned\":" + shard.owned().size() + "}").getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            http.start();
        }
        CountDownLatch done = new CountDownLatch(1);
        HttpServer h = http;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shard.close();
            if (h != null) {
                h.stop(0);
            }
            done.countDown();
        }));
        System.out.println("livequery-shard " + id + " READY");
        System.out.flush();
        done.await();
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ShardMain()).execute(args));
    }
}
