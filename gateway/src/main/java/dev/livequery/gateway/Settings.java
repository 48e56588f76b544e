package dev.livequery.gateway;

import dev.livequery.core.EngineOptions;
import io.helidon.config.Config;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Every {@code livequery.*} and {@code server.*} setting the gateway reads (PROTOCOL §8), parsed
 * once at startup so a bad value fails the start with a message instead of failing a request later.
 * {@link SettingsKeys} names each key once, with how it is parsed and which {@link SettingsBuilder}
 * option it sets, and reads them from Helidon config; the defaults are the {@link SettingsBuilder}'s;
 * {@link SettingsCheck} refuses bad combinations. {@code application.yaml} lists the same keys (a
 * test holds the two equal).
 *
 * <p>Components with settings of their own (e.g. {@code livequery.auth.*}) read them from
 * {@link #config()}, the source these settings came from.
 */
public final class Settings {
    private final SettingsBuilder b;

    Settings(SettingsBuilder b) {
        this.b = b.copy();
    }

    static SettingsBuilder builder() {
        return new SettingsBuilder();
    }

    /** Defaults of PROTOCOL §8: port 8080, local backend with the demo. */
    public static Settings defaults() {
        return builder().build();
    }

    SettingsBuilder toBuilder() {
        return b.copy();
    }

    /**
     * Reads the settings from Helidon config. Helidon's environment source spells dashes as
     * {@code _dash_}, which nobody types, so the obvious {@code LIVEQUERY_WRITE_DEADLINE} form of every
     * key is honoured here as well and wins over the file.
     */
    public static Settings from(Config config) {
        return SettingsKeys.read(config);
    }

    public int port() {
        return b.port;
    }

    /** {@code local} or {@code redis}. */
    public String backend() {
        return b.backend;
    }

    public String redisUri() {
        return b.redisUri;
    }

    /**
     * {@code livequery.gateway.id}: a stable id keeps one delivery stream across restarts of this
     * gateway; unset, each process gets a random one (shards clean up after it).
     */
    public String gatewayId() {
        return b.gatewayId;
    }

    public boolean demoEnabled() {
        return b.demoEnabled;
    }

    public double demoChangesPerSecond() {
        return b.demoChangesPerSecond;
    }

    public int demoRows() {
        return b.demoRows;
    }

    public Duration writeDeadline() {
        return b.writeDeadline;
    }

    public Duration shutdownGrace() {
        return b.shutdownGrace;
    }

    /** How long a request's headers may take after its request line; zero turns both bounds off. */
    public Duration headerTimeout() {
        return b.headerTimeout;
    }

    /** How long a request's body may take after its headers. */
    public Duration bodyTimeout() {
        return b.bodyTimeout;
    }

    public int maxWindow() {
        return b.maxWindow;
    }

    public int maxQueued() {
        return b.maxQueued;
    }

    public int subsPerConnection() {
        return b.subsPerConnection;
    }

    public int maxMessage() {
        return b.maxMessage;
    }

    public int maxBody() {
        return b.maxBody;
    }

    public int maxConnections() {
        return b.maxConnections;
    }

    /** {@code livequery.limits.max-response}: bytes of rows and cursors in a one-shot query's answer. */
    public int maxResponse() {
        return b.maxResponse;
    }

    public int maxViews() {
        return b.maxViews;
    }

    /** {@code livequery.limits.max-view-rows}: entries all views hold together (embedded engine). */
    public long maxViewRows() {
        return b.maxViewRows;
    }

    public Duration pingInterval() {
        return b.pingInterval;
    }

    public Duration idleTimeout() {
        return b.idleTimeout;
    }

    public Duration heartbeat() {
        return b.heartbeat;
    }

    public int resumeMaxChanges() {
        return b.resumeMaxChanges;
    }

    /** {@code livequery.resume.horizon-changes}: changes per table a resume reaches back, at least (PROTOCOL §3). */
    public int resumeHorizonChanges() {
        return b.resumeHorizonChanges;
    }

    /** {@code livequery.resume.horizon-time}: how long back a resume reaches, at least (whichever keeps more). */
    public Duration resumeHorizonTime() {
        return b.resumeHorizonTime;
    }

    public Set<String> tables() {
        return b.tables;
    }

    public List<String> allowedOrigins() {
        return b.allowedOrigins;
    }

    /** Null when {@code livequery.secret} is not set (the development secret is used). */
    public String secret() {
        return b.secret;
    }

    /** The config these settings were read from (empty for built ones): for components that read their own keys. */
    public Config config() {
        return b.config;
    }

    /** Helidon's {@code server} node ({@code host}, {@code backlog}, …), for the web server's own options. */
    public Config serverConfig() {
        return b.config.get("server");
    }

    /** {@code livequery.limits.max-row}: the largest row a write may store, as UTF-8 JSON. */
    public int maxRow() {
        return b.maxRow;
    }

    /** {@code livequery.limits.max-history-bytes}: row images one table's resume history may keep. */
    public long maxHistoryBytes() {
        return b.maxHistoryBytes;
    }

    /** {@code livequery.previous-secret}: the secret being rotated out, or null. */
    public String previousSecret() {
        return b.previousSecret;
    }

    /** {@code livequery.previous-secret-overlap}: how long after start the previous secret is accepted. */
    public Duration previousSecretOverlap() {
        return b.previousSecretOverlap;
    }

    /** The engine's view of these settings. */
    public EngineOptions engineOptions() {
        EngineOptions.Builder o = EngineOptions.builder()
                .maxWindow(b.maxWindow)
                .maxQueued(b.maxQueued)
                .tables(b.tables)
                // max-changes caps the horizon too, as it always did (a smaller cap shrinks it)
                .horizon(Math.min(b.resumeHorizonChanges, b.resumeMaxChanges), b.resumeHorizonTime, b.resumeMaxChanges)
                .maxViews(b.maxViews)
                .maxViewRows(b.maxViewRows)
                .sizeLimits(b.maxHistoryBytes, b.maxRow)
                .previousSecret(
                        b.previousSecret == null ? null : b.previousSecret.getBytes(StandardCharsets.UTF_8),
                        b.previousSecretOverlap);
        if (b.secret != null) {
            o.secret(b.secret.getBytes(StandardCharsets.UTF_8));
        }
        return o.build();
    }
}
