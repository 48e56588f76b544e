package dev.livequery.gateway;

import dev.livequery.core.EngineOptions;
import io.helidon.config.Config;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Every {@code livequery.*} and {@code server.*} setting the gateway reads (PROTOCOL §8), parsed
 * once at startup so a bad value fails the start with a message instead of failing a request later.
 *
 * @param secret null when {@code livequery.secret} is not set (the development secret is used)
 */
public record Settings(int port, String backend, boolean demoEnabled, double demoChangesPerSecond, int demoRows,
        Duration writeDeadline, int maxWindow, int maxQueued, int subsPerConnection, int maxMessage, int maxBody,
        int maxConnections, Set<String> tables, List<String> allowedOrigins, String secret, Duration shutdownGrace,
        Duration pingInterval, Duration idleTimeout, Duration heartbeat) {

    /** Defaults of PROTOCOL §8, port 8080, local backend with the demo. */
    public static Settings defaults() {
        return new Settings(8080, "local", true, 3.0, 5000, Duration.ofSeconds(10), 1000, 1024, 128, 64 * 1024,
                1024 * 1024, 10_000, Set.of(), List.of(), null, Duration.ofSeconds(5), Duration.ofSeconds(20),
                Duration.ofSeconds(60), Duration.ofSeconds(15));
    }

    /**
     * Reads the settings from Helidon config. Helidon's environment source spells dashes as
     * {@code _dash_}, which nobody types, so the obvious {@code LIVEQUERY_WRITE_DEADLINE} form of every
     * key is honoured here as well and wins over the file.
     */
    public static Settings from(Config config) {
        Settings d = defaults();
        Lookup l = new Lookup(config, System.getenv());
        String backend = l.string("livequery.backend", d.backend).toLowerCase(Locale.ROOT);
        return check(new Settings(
                l.get("server.port", Integer::parseInt, d.port),
                backend,
                l.get("livequery.demo.enabled", Boolean::parseBoolean, backend.equals("local")),
                l.get("livequery.demo.changes-per-second", Double::parseDouble, d.demoChangesPerSecond),
                l.get("livequery.demo.rows", Integer::parseInt, d.demoRows),
                l.get("livequery.write-deadline", Duration::parse, d.writeDeadline),
                l.get("livequery.limits.max-window", Integer::parseInt, d.maxWindow),
                l.get("livequery.limits.max-queued", Integer::parseInt, d.maxQueued),
                l.get("livequery.limits.subs-per-connection", Integer::parseInt, d.subsPerConnection),
                l.get("livequery.limits.max-message", Integer::parseInt, d.maxMessage),
                l.get("livequery.limits.max-body", Integer::parseInt, d.maxBody),
                l.get("livequery.limits.max-connections", Integer::parseInt, d.maxConnections),
                Set.copyOf(l.list("livequery.tables.allow")),
                l.list("livequery.allowed-origins"),
                l.string("livequery.secret", null),
                l.get("livequery.shutdown-grace", Duration::parse, d.shutdownGrace),
                l.get("livequery.ws.ping-interval", Duration::parse, d.pingInterval),
                l.get("livequery.ws.idle-timeout", Duration::parse, d.idleTimeout),
                l.get("livequery.sse.heartbeat", Duration::parse, d.heartbeat)));
    }

    private static Settings check(Settings s) {
        // In cluster mode a reset's snapshot reaches the gateway as frames in the subscription's
        // queue (reset, up to max-window enters, ready): a smaller queue overflows on every snapshot.
        if (s.backend.equals("redis") && s.maxQueued < s.maxWindow + 2) {
            throw new IllegalArgumentException("livequery.limits.max-queued (" + s.maxQueued + ") must be at least "
                    + "livequery.limits.max-window + 2 (" + (s.maxWindow + 2) + ") with livequery.backend=redis: "
                    + "a snapshot travels through the queue and would overflow it every time");
        }
        return s;
    }

    /** The engine's view of these settings. */
    public EngineOptions engineOptions() {
        EngineOptions o = EngineOptions.defaults().withMaxWindow(maxWindow).withMaxQueued(maxQueued).withTables(tables);
        return secret == null ? o : o.withSecret(secret.getBytes(StandardCharsets.UTF_8));
    }

    public Settings withPort(int p) {
        return new Settings(p, backend, demoEnabled, demoChangesPerSecond, demoRows, writeDeadline, maxWindow,
                maxQueued, subsPerConnection, maxMessage, maxBody, maxConnections, tables, allowedOrigins, secret,
                shutdownGrace, pingInterval, idleTimeout, heartbeat);
    }

    private record Lookup(Config config, Map<String, String> env) {
        Optional<String> raw(String key) {
            String e = env.get(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            if (e != null && !e.isBlank()) {
                return Optional.of(e.trim());
            }
            Config c = config.get(key);
            if (c.isList()) {
                return Optional.of(String.join(",", c.asList(String.class).get()));
            }
            return c.asString().asOptional().map(String::trim).filter(s -> !s.isEmpty());
        }

        String string(String key, String dflt) {
            return raw(key).orElse(dflt);
        }

        <T> T get(String key, Function<String, T> parse, T dflt) {
            Optional<String> v = raw(key);
            if (v.isEmpty()) {
                return dflt;
            }
            try {
                return parse.apply(v.get());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("config " + key + " = '" + v.get() + "' is not valid: "
                        + e.getMessage(), e);
            }
        }

        List<String> list(String key) {
            List<String> out = new ArrayList<>();
            raw(key).ifPresent(v -> {
                for (String s : v.split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
            });
            return List.copyOf(out);
        }
    }
}
