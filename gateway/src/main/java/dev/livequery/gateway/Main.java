package dev.livequery.gateway;

import dev.livequery.core.Backend;
import dev.livequery.core.LocalBackend;
import dev.livequery.gateway.demo.Demo;
import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
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
        Backend backend = switch (settings.backend()) {
            case "local" -> new LocalBackend(settings.engineOptions());
            case "redis" -> {
                System.err.println("livequery: livequery.backend=redis is not available in this build of the "
                        + "gateway yet; use livequery.backend=local (LIVEQUERY_BACKEND=local)");
                System.exit(2);
                yield null;
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
        Gateway gateway = Gateway.start(settings, backend, config.get("server"));
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
