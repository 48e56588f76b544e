package dev.livequery.gateway;

import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LocalBackend;
import dev.livequery.gateway.demo.Demo;
import io.helidon.config.Config;
import dev.livequery.shard.backend.RedisBackend;
import io.helidon.logging.common.LogConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.UUID;
import java.util.logging.Logger;

/** {@code java -jar gateway/target/livequery-gateway.jar}: configuration per PROTOCOL §8. */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Config config = Config.create();
        Settings settings;
        EngineOptions engine;
        try {
            settings = Settings.from(config);
            // the engine's own keys (secret rotation, size limits), environment first as in Settings
            engine = settings.engineOptions().withKeys(key -> {
                String env = System.getenv(EngineOptions.envName(key));
                return env != null && !env.isBlank() ? env : config.get(key).asString().orElse(null);
            });
        } catch (IllegalArgumentException e) {
            System.err.println("livequery: " + e.getMessage());
            System.exit(2);
            return;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Backend backend = switch (settings.backend()) {
            case "local" -> new LocalBackend(engine);
            case "redis" -> {
                String uri = config.get("livequery.redis.uri").asString().orElse("redis://127.0.0.1:6379");
                try {
                    // livequery.gateway.id (LIVEQUERY_GATEWAY_ID): a stable id keeps one delivery stream
                    // across restarts instead of leaving one per process for the shards to clean up.
                    String id = config.get("livequery.gateway.id").asString()
                            .orElse("gw-" + UUID.randomUUID().toString().substring(0, 8));
                    yield new RedisBackend(engine, uri, id, registry);
                } catch (RuntimeException e) {
                    System.err.println("livequery: cannot reach Redis at " + uri + " (livequery.redis.uri / "
                            + "LIVEQUERY_REDIS_URI): " + e.getMessage());
                    System.exit(2);
                    yield null;
                }
            }
            default -> {
                System.err.println("livequery: livequery.backend must be 'local' or 'redis', got '"
                        + settings.backend() + "'");
                System.exit(2);
                yield null;
            }
        };
        if (settings.secret() == null) {
            LOG.warning("livequery.secret is not set: cursors and resume tokens are signed with the public "
                    + "development secret. Set LIVEQUERY_SECRET (the same on every process) before exposing this.");
        }
        Demo demo = null;
        try {
            if (settings.demoEnabled()) {
                demo = Demo.start(backend, settings.demoRows(), settings.demoChangesPerSecond());
            }
        } catch (Exception e) {
            System.err.println("livequery: the demo table could not be seeded: " + e.getMessage());
            System.exit(1);
        }
        Gateway gateway = Gateway.start(settings, backend, config.get("server"), registry);
        Demo d = demo;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (d != null) {
                d.close();
            }
            gateway.stop();
            backend.close();
        }, "livequery-shutdown"));
        LOG.info("livequery gateway listening on http://localhost:" + gateway.port() + "/ (backend "
                + settings.backend() + ", demo " + (settings.demoEnabled() ? "on: open the URL" : "off") + ")");
    }
}
