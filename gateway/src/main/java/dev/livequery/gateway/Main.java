package dev.livequery.gateway;

import dev.livequery.core.Backend;
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
        try {
            settings = Settings.from(config);
        } catch (IllegalArgumentException e) {
            System.err.println("livequery: " + e.getMessage());
            System.exit(2);
            return;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Backend backend = null;
        if (settings.backend().equals("redis")) {
            try {
                backend = new RedisBackend(settings.engineOptions(), settings.redisUri(),
                        "gw-" + UUID.randomUUID().toString().substring(0, 8), registry);
            } catch (RuntimeException e) {
                System.err.println("livequery: cannot reach Redis at " + settings.redisUri()
                        + " (livequery.redis.uri / LIVEQUERY_REDIS_URI): " + e.getMessage());
                System.exit(2);
                return;
            }
        } else {
            backend = new LocalBackend(settings.engineOptions());
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
        Gateway gateway = Gateway.start(settings, backend, null, registry);
        Demo d = demo;
        Backend b = backend;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (d != null) {
                d.close();
            }
            gateway.stop();
            b.close();
        }, "livequery-shutdown"));
        LOG.info("livequery gateway listening on http://localhost:" + gateway.port() + "/ (backend "
                + settings.backend() + ", demo " + (settings.demoEnabled() ? "on: open the URL" : "off") + ")");
    }
}
