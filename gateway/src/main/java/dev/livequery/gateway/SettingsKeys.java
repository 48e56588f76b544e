package dev.livequery.gateway;

import io.helidon.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The gateway's config keys, each named once with its parser and the {@link SettingsBuilder}
 * option it sets, and their reading from Helidon config. Adding a key is one line here, one
 * builder option and one line of {@code application.yaml}.
 */
final class SettingsKeys {
    private SettingsKeys() {}

    /** How one key is read: its name, its parser, and the builder option it sets. */
    record Key<T>(String name, Function<String, T> parse, BiConsumer<SettingsBuilder, T> set) {
        void read(ConfigLookup l, SettingsBuilder b) {
            l.get(name, parse).ifPresent(v -> set.accept(b, v));
        }
    }

    /** Every key, in the order of {@code application.yaml}. */
    static final List<Key<?>> KEYS = List.of(
            new Key<>("server.port", Integer::parseInt, SettingsBuilder::port),
            new Key<>("livequery.backend", s -> s.toLowerCase(Locale.ROOT), SettingsBuilder::backend),
            new Key<>("livequery.redis.uri", s -> s, SettingsBuilder::redisUri),
            new Key<>("livequery.gateway.id", s -> s, SettingsBuilder::gatewayId),
            new Key<>("livequery.demo.enabled", SettingsKeys::bool, SettingsBuilder::demoEnabled),
            new Key<>("livequery.demo.changes-per-second", Double::parseDouble, SettingsBuilder::demoChangesPerSecond),
            new Key<>("livequery.demo.rows", Integer::parseInt, SettingsBuilder::demoRows),
            new Key<>("livequery.write-deadline", Duration::parse, SettingsBuilder::writeDeadline),
            new Key<>("livequery.shutdown-grace", Duration::parse, SettingsBuilder::shutdownGrace),
            new Key<>("livequery.header-timeout", Duration::parse, SettingsBuilder::headerTimeout),
            new Key<>("livequery.body-timeout", Duration::parse, SettingsBuilder::bodyTimeout),
            new Key<>("livequery.limits.max-window", Integer::parseInt, SettingsBuilder::maxWindow),
            new Key<>("livequery.limits.max-queued", Integer::parseInt, SettingsBuilder::maxQueued),
            new Key<>("livequery.limits.subs-per-connection", Integer::parseInt, SettingsBuilder::subsPerConnection),
            new Key<>("livequery.limits.max-message", Integer::parseInt, SettingsBuilder::maxMessage),
            new Key<>("livequery.limits.max-body", Integer::parseInt, SettingsBuilder::maxBody),
            new Key<>("livequery.limits.max-connections", Integer::parseInt, SettingsBuilder::maxConnections),
            new Key<>("livequery.limits.max-response", Integer::parseInt, SettingsBuilder::maxResponse),
            new Key<>("livequery.limits.max-views", Integer::parseInt, SettingsBuilder::maxViews),
            new Key<>("livequery.limits.max-view-rows", Long::parseLong, SettingsBuilder::maxViewRows),
            new Key<>("livequery.limits.max-row", Integer::parseInt, SettingsBuilder::maxRow),
            new Key<>("livequery.limits.max-history-bytes", Long::parseLong, SettingsBuilder::maxHistoryBytes),
            new Key<>("livequery.ws.ping-interval", Duration::parse, SettingsBuilder::pingInterval),
            new Key<>("livequery.ws.idle-timeout", Duration::parse, SettingsBuilder::idleTimeout),
            new Key<>("livequery.sse.heartbeat", Duration::parse, SettingsBuilder::heartbeat),
            new Key<>("livequery.resume.max-changes", Integer::parseInt, SettingsBuilder::resumeMaxChanges),
            new Key<>("livequery.resume.horizon-changes", Integer::parseInt, SettingsBuilder::resumeHorizonChanges),
            new Key<>("livequery.resume.horizon-time", Duration::parse, SettingsBuilder::resumeHorizonTime),
            new Key<>("livequery.tables.allow", SettingsKeys::list, (b, v) -> b.tables(Set.copyOf(v))),
            new Key<>("livequery.allowed-origins", SettingsKeys::list, SettingsBuilder::allowedOrigins),
            new Key<>("livequery.secret", s -> s, SettingsBuilder::secret),
            new Key<>("livequery.previous-secret", s -> s, SettingsBuilder::previousSecret),
            new Key<>("livequery.previous-secret-overlap", Duration::parse, SettingsBuilder::previousSecretOverlap));

    /** Keys under {@code server} that go to Helidon's own server config as they are (see {@link Settings#serverConfig()}). */
    static final List<String> HELIDON_KEYS = List.of("server.host", "server.backlog");

    /**
     * Reads every key from Helidon config. Helidon's environment source spells dashes as
     * {@code _dash_}, which nobody types, so the obvious {@code LIVEQUERY_WRITE_DEADLINE} form of every
     * key is honoured as well and wins over the file ({@link ConfigLookup}).
     */
    static Settings read(Config config) {
        return read(ConfigLookup.of(config));
    }

    /** As above, from {@code l}'s config and environment. */
    static Settings read(ConfigLookup l) {
        SettingsBuilder b = Settings.builder().config(l.config());
        for (Key<?> k : KEYS) {
            k.read(l, b);
        }
        if (l.get("livequery.demo.enabled", SettingsKeys::bool).isEmpty()) {
            b.demoEnabled(b.backend().equals("local"));
        }
        return b.build();
    }

    static boolean bool(String s) {
        if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException("expected true or false");
    }

    static List<String> list(String v) {
        List<String> out = new ArrayList<>();
        for (String s : v.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return List.copyOf(out);
    }
}
