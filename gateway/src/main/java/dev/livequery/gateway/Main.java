package dev.livequery.gateway;

import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LocalBackend;
import dev.livequery.gateway.auth.Auth;
import dev.livequery.gateway.auth.AuthSettings;
import dev.livequery.gateway.auth.Redact;
import dev.livequery.gateway.demo.Demo;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.sources.postgres.ClusterSource;
import dev.livequery.sources.postgres.SourceException;
import dev.livequery.sources.postgres.SourcedBackend;
import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintStream;
import java.util.UUID;
import java.util.logging.Logger;

/** {@code java -jar gateway/target/livequery-gateway.jar}: configuration per PROTOCOL §8. */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {}

    /** What {@code --help} prints: the gateway takes no arguments, only configuration. */
    static final String HELP = """
            livequery gateway: java [-D<key>=<value>]... -jar livequery-gateway.jar
            Takes no arguments. Every setting is a config key with its default in application.yaml
            (gateway/src/main/resources/application.yaml; docs/protocol.md explains each), set by a
            system property (-Dlivequery.write-deadline=PT5S) or an environment variable, the key in
            upper case with dots and dashes as underscores (LIVEQUERY_WRITE_DEADLINE, SERVER_PORT,
            LIVEQUERY_BACKEND=redis, LIVEQUERY_REDIS_URI, LIVEQUERY_SECRET). GET /health, /metrics.""";

    /**
     * What the arguments ask: -1 to start, or the exit code once {@code --help} is printed (0) or an
     * argument is refused (2). An argument the gateway would ignore (a setting meant as
     * {@code -D} but written after {@code -jar}, a typo) must not start a gateway configured
     * otherwise than its operator thinks.
     */
    static int arguments(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            return -1;
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.println(HELP);
            return 0;
        }
        err.println("livequery: unexpected argument " + String.join(" ", args)
                + " (settings go before -jar as -D<key>=<value>, or in the environment)");
        err.println(HELP);
        return 2;
    }

    public static void main(String[] args) {
        int exit = arguments(args, System.out, System.err);
        if (exit == 0) {
            return;
        }
        if (exit > 0) {
            System.exit(exit);
            return;
        }
        LogConfig.configureRuntime();
        Redact.install();
        Config config = Config.create();
        Settings settings;
        EngineOptions engine;
        Auth auth;
        try {
            settings = Settings.from(config);
            auth = Auth.start(AuthSettings.from(config), settings.secret());
            engine = settings.engineOptions();
        } catch (IllegalArgumentException e) {
            System.err.println("livequery: " + e.getMessage());
            System.exit(2);
            return;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Backend backend = null;
        if (settings.backend().equals("redis")) {
            String id = settings.gatewayId() != null
                    ? settings.gatewayId()
                    : "gw-" + UUID.randomUUID().toString().substring(0, 8);
            try {
                backend = new RedisBackend(engine, settings.redisUri(), id, registry);
            } catch (RuntimeException e) {
                System.err.println("livequery: cannot reach Redis at " + Redact.uri(settings.redisUri())
                        + " (livequery.redis.uri / LIVEQUERY_REDIS_URI): " + Redact.text(e.getMessage()));
                System.exit(2);
                return;
            }
            try {
                // Cluster mode: every gateway configured with the source competes for its lease; the holder streams it.
                ClusterSource source =
                        ClusterSource.attach(config.get("livequery.sources.postgres"), settings.redisUri(), engine, id);
                if (source != null) {
                    backend = new SourcedBackend(backend, source);
                }
            } catch (SourceException e) {
                System.err.println("livequery: " + e.line());
                System.exit(2);
                return;
            } catch (RuntimeException e) {
                System.err.println("livequery: the postgres source cannot reach Redis at "
                        + Redact.uri(settings.redisUri()) + ": " + Redact.text(e.getMessage()));
                System.exit(2);
                return;
            }
        } else {
            try {
                backend = SourcedBackend.attach(config.get("livequery.sources.postgres"), new LocalBackend(engine));
            } catch (SourceException e) {
                System.err.println("livequery: " + e.line());
                System.exit(2);
                return;
            }
        }
        if (settings.secret() == null) {
            LOG.warning("livequery.secret is not set: cursors and resume tokens are signed with the public "
                    + "development secret. Set LIVEQUERY_SECRET (the same on every process) before exposing this.");
        }
        Demo demo = null;
        try {
            if (settings.demoEnabled()) {
                demo = Demo.start(backend, settings);
            }
        } catch (Exception e) {
            System.err.println("livequery: the demo table could not be seeded: " + e.getMessage());
            System.exit(1);
        }
        Gateway gateway;
        try {
            gateway = Gateway.start(settings, auth, backend, null, registry);
        } catch (IllegalStateException e) {
            System.err.println("livequery: " + e.getMessage());
            System.exit(1);
            return;
        }
        Demo d = demo;
        Backend b = backend;
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (d != null) {
                                d.close();
                            }
                            gateway.stop();
                            b.close();
                        },
                        "livequery-shutdown"));
        LOG.info("livequery gateway listening on http://localhost:" + gateway.port() + "/ (backend "
                + settings.backend() + ", demo " + (settings.demoEnabled() ? "on: open the URL" : "off") + ")");
    }
}
