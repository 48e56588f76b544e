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
 * {@link SettingsKeys} names each key once, with how it is parsed and which {@link Builder} option it
 * sets, and reads them from Helidon config; the defaults are the {@link Builder}'s; {@link
 * SettingsCheck} refuses bad combinations. {@code application.yaml} lists the same keys (a test
 * holds the two equal).
 *
 * <p>Components with settings of their own (e.g. {@code livequery.auth.*}) read them from
 * {@link #config()}, the source these settings came from.
 */
public final class Settings {
    private final Builder b;

    private Settings(Builder b) {
        this.b = b.copy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults of PROTOCOL §8: port 8080, local backend with the demo. */
    public static Settings defaults() {
        return builder().build();
    }

    public Builder toBuilder() {
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

    /** The options, each with its default. */
    public static final class Builder {
        private int port = 8080;
        private String backend = "local";
        private String redisUri = "redis://127.0.0.1:6379";
        private String gatewayId;
        private boolean demoEnabled = true;
        private double demoChangesPerSecond = 3.0;
        private int demoRows = 5000;
        private Duration writeDeadline = Duration.ofSeconds(10);
        private Duration shutdownGrace = Duration.ofSeconds(5);
        private Duration headerTimeout = Duration.ofSeconds(10);
        private Duration bodyTimeout = Duration.ofSeconds(30);
        private int maxWindow = 1000;
        private int maxQueued = 1024;
        private int subsPerConnection = 128;
        private int maxMessage = 64 * 1024;
        private int maxBody = 1024 * 1024;
        private int maxConnections = 10_000;
        private int maxResponse = 16 * 1024 * 1024;
        private int maxViews = 1000;
        private long maxViewRows = EngineOptions.DEFAULT_MAX_VIEW_ROWS;
        private int maxRow = EngineOptions.DEFAULT_MAX_ROW_BYTES;
        private long maxHistoryBytes = EngineOptions.DEFAULT_MAX_HISTORY_BYTES;
        private String previousSecret;
        private Duration previousSecretOverlap = Duration.ofHours(1);
        private Duration pingInterval = Duration.ofSeconds(20);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration heartbeat = Duration.ofSeconds(15);
        private int resumeMaxChanges = 1_000_000;
        private int resumeHorizonChanges = 10_000;
        private Duration resumeHorizonTime = Duration.ofMinutes(5);
        private Set<String> tables = Set.of();
        private List<String> allowedOrigins = List.of();
        private String secret;
        private Config config = Config.empty();

        private Builder() {}

        private Builder copy() {
            Builder c = new Builder();
            c.port = port;
            c.backend = backend;
            c.redisUri = redisUri;
            c.gatewayId = gatewayId;
            c.demoEnabled = demoEnabled;
            c.demoChangesPerSecond = demoChangesPerSecond;
            c.demoRows = demoRows;
            c.writeDeadline = writeDeadline;
            c.shutdownGrace = shutdownGrace;
            c.headerTimeout = headerTimeout;
            c.bodyTimeout = bodyTimeout;
            c.maxWindow = maxWindow;
            c.maxQueued = maxQueued;
            c.subsPerConnection = subsPerConnection;
            c.maxMessage = maxMessage;
            c.maxBody = maxBody;
            c.maxConnections = maxConnections;
            c.maxResponse = maxResponse;
            c.maxViews = maxViews;
            c.maxViewRows = maxViewRows;
            c.maxRow = maxRow;
            c.maxHistoryBytes = maxHistoryBytes;
            c.previousSecret = previousSecret;
            c.previousSecretOverlap = previousSecretOverlap;
            c.pingInterval = pingInterval;
            c.idleTimeout = idleTimeout;
            c.heartbeat = heartbeat;
            c.resumeMaxChanges = resumeMaxChanges;
            c.resumeHorizonChanges = resumeHorizonChanges;
            c.resumeHorizonTime = resumeHorizonTime;
            c.tables = tables;
            c.allowedOrigins = allowedOrigins;
            c.secret = secret;
            c.config = config;
            return c;
        }

        /** 0 = any free port. */
        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder backend(String v) {
            backend = v;
            return this;
        }

        public Builder redisUri(String v) {
            redisUri = v;
            return this;
        }

        public Builder gatewayId(String v) {
            gatewayId = v;
            return this;
        }

        public Builder demoEnabled(boolean v) {
            demoEnabled = v;
            return this;
        }

        public Builder demoChangesPerSecond(double v) {
            demoChangesPerSecond = v;
            return this;
        }

        public Builder demoRows(int v) {
            demoRows = v;
            return this;
        }

        public Builder writeDeadline(Duration v) {
            writeDeadline = v;
            return this;
        }

        public Builder shutdownGrace(Duration v) {
            shutdownGrace = v;
            return this;
        }

        public Builder headerTimeout(Duration v) {
            headerTimeout = v;
            return this;
        }

        public Builder bodyTimeout(Duration v) {
            bodyTimeout = v;
            return this;
        }

        public Builder maxWindow(int v) {
            maxWindow = v;
            return this;
        }

        public Builder maxQueued(int v) {
            maxQueued = v;
            return this;
        }

        public Builder subsPerConnection(int v) {
            subsPerConnection = v;
            return this;
        }

        public Builder maxMessage(int v) {
            maxMessage = v;
            return this;
        }

        public Builder maxBody(int v) {
            maxBody = v;
            return this;
        }

        public Builder maxConnections(int v) {
            maxConnections = v;
            return this;
        }

        public Builder maxResponse(int v) {
            maxResponse = v;
            return this;
        }

        public Builder maxRow(int v) {
            maxRow = v;
            return this;
        }

        public Builder maxHistoryBytes(long v) {
            maxHistoryBytes = v;
            return this;
        }

        public Builder previousSecret(String v) {
            previousSecret = v;
            return this;
        }

        public Builder previousSecretOverlap(Duration v) {
            previousSecretOverlap = v;
            return this;
        }

        /** Distinct shapes (views) per table, on the embedded engine. */
        public Builder maxViews(int v) {
            maxViews = v;
            return this;
        }

        public Builder maxViewRows(long v) {
            maxViewRows = v;
            return this;
        }

        public Builder pingInterval(Duration v) {
            pingInterval = v;
            return this;
        }

        public Builder idleTimeout(Duration v) {
            idleTimeout = v;
            return this;
        }

        public Builder heartbeat(Duration v) {
            heartbeat = v;
            return this;
        }

        public Builder resumeMaxChanges(int v) {
            resumeMaxChanges = v;
            return this;
        }

        public Builder resumeHorizonChanges(int v) {
            resumeHorizonChanges = v;
            return this;
        }

        public Builder resumeHorizonTime(Duration v) {
            resumeHorizonTime = v;
            return this;
        }

        public Builder tables(Set<String> v) {
            tables = Set.copyOf(v);
            return this;
        }

        public Builder allowedOrigins(List<String> v) {
            allowedOrigins = List.copyOf(v);
            return this;
        }

        public Builder secret(String v) {
            secret = v;
            return this;
        }

        /** The source of these settings, handed on to components with keys of their own. */
        public Builder config(Config v) {
            config = v;
            return this;
        }

        /** Checks the combination; an {@link IllegalArgumentException} names the key at fault. */
        public Settings build() {
            Settings s = new Settings(this);
            SettingsCheck.check(s);
            return s;
        }

        /** The backend chosen so far: reading config defaults the demo by it. */
        String backend() {
            return backend;
        }
    }
}
