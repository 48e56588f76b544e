package dev.livequery.gateway;

import dev.livequery.core.EngineOptions;
import io.helidon.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The options of {@link Settings}, each with its default (PROTOCOL §8): {@link SettingsKeys} sets
 * them key by key from config, and {@link #build()} checks the combination ({@link SettingsCheck}).
 * A {@link Settings} keeps its own copy of one, read through its accessors.
 */
final class SettingsBuilder {
    int port = 8080;
    String backend = "local";
    String redisUri = "redis://127.0.0.1:6379";
    String gatewayId;
    boolean demoEnabled = true;
    double demoChangesPerSecond = 3.0;
    int demoRows = 5000;
    Duration writeDeadline = Duration.ofSeconds(10);
    Duration shutdownGrace = Duration.ofSeconds(5);
    Duration headerTimeout = Duration.ofSeconds(10);
    Duration bodyTimeout = Duration.ofSeconds(30);
    int maxWindow = 1000;
    int maxQueued = 1024;
    int subsPerConnection = 128;
    int maxMessage = 64 * 1024;
    int maxBody = 1024 * 1024;
    int maxConnections = 10_000;
    int maxResponse = 16 * 1024 * 1024;
    int maxViews = 1000;
    long maxViewRows = EngineOptions.DEFAULT_MAX_VIEW_ROWS;
    int maxRow = EngineOptions.DEFAULT_MAX_ROW_BYTES;
    long maxHistoryBytes = EngineOptions.DEFAULT_MAX_HISTORY_BYTES;
    String previousSecret;
    Duration previousSecretOverlap = Duration.ofHours(1);
    Duration pingInterval = Duration.ofSeconds(20);
    Duration idleTimeout = Duration.ofSeconds(60);
    Duration heartbeat = Duration.ofSeconds(15);
    int resumeMaxChanges = 1_000_000;
    int resumeHorizonChanges = 10_000;
    Duration resumeHorizonTime = Duration.ofMinutes(5);
    Set<String> tables = Set.of();
    List<String> allowedOrigins = List.of();
    String secret;
    Config config = Config.empty();

    SettingsBuilder() {}

    SettingsBuilder copy() {
        SettingsBuilder c = new SettingsBuilder();
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
    public SettingsBuilder port(int v) {
        port = v;
        return this;
    }

    public SettingsBuilder backend(String v) {
        backend = v;
        return this;
    }

    public SettingsBuilder redisUri(String v) {
        redisUri = v;
        return this;
    }

    public SettingsBuilder gatewayId(String v) {
        gatewayId = v;
        return this;
    }

    public SettingsBuilder demoEnabled(boolean v) {
        demoEnabled = v;
        return this;
    }

    public SettingsBuilder demoChangesPerSecond(double v) {
        demoChangesPerSecond = v;
        return this;
    }

    public SettingsBuilder demoRows(int v) {
        demoRows = v;
        return this;
    }

    public SettingsBuilder writeDeadline(Duration v) {
        writeDeadline = v;
        return this;
    }

    public SettingsBuilder shutdownGrace(Duration v) {
        shutdownGrace = v;
        return this;
    }

    public SettingsBuilder headerTimeout(Duration v) {
        headerTimeout = v;
        return this;
    }

    public SettingsBuilder bodyTimeout(Duration v) {
        bodyTimeout = v;
        return this;
    }

    public SettingsBuilder maxWindow(int v) {
        maxWindow = v;
        return this;
    }

    public SettingsBuilder maxQueued(int v) {
        maxQueued = v;
        return this;
    }

    public SettingsBuilder subsPerConnection(int v) {
        subsPerConnection = v;
        return this;
    }

    public SettingsBuilder maxMessage(int v) {
        maxMessage = v;
        return this;
    }

    public SettingsBuilder maxBody(int v) {
        maxBody = v;
        return this;
    }

    public SettingsBuilder maxConnections(int v) {
        maxConnections = v;
        return this;
    }

    public SettingsBuilder maxResponse(int v) {
        maxResponse = v;
        return this;
    }

    public SettingsBuilder maxRow(int v) {
        maxRow = v;
        return this;
    }

    public SettingsBuilder maxHistoryBytes(long v) {
        maxHistoryBytes = v;
        return this;
    }

    public SettingsBuilder previousSecret(String v) {
        previousSecret = v;
        return this;
    }

    public SettingsBuilder previousSecretOverlap(Duration v) {
        previousSecretOverlap = v;
        return this;
    }

    /** Distinct shapes (views) per table, on the embedded engine. */
    public SettingsBuilder maxViews(int v) {
        maxViews = v;
        return this;
    }

    public SettingsBuilder maxViewRows(long v) {
        maxViewRows = v;
        return this;
    }

    public SettingsBuilder pingInterval(Duration v) {
        pingInterval = v;
        return this;
    }

    public SettingsBuilder idleTimeout(Duration v) {
        idleTimeout = v;
        return this;
    }

    public SettingsBuilder heartbeat(Duration v) {
        heartbeat = v;
        return this;
    }

    public SettingsBuilder resumeMaxChanges(int v) {
        resumeMaxChanges = v;
        return this;
    }

    public SettingsBuilder resumeHorizonChanges(int v) {
        resumeHorizonChanges = v;
        return this;
    }

    public SettingsBuilder resumeHorizonTime(Duration v) {
        resumeHorizonTime = v;
        return this;
    }

    public SettingsBuilder tables(Set<String> v) {
        tables = Set.copyOf(v);
        return this;
    }

    public SettingsBuilder allowedOrigins(List<String> v) {
        allowedOrigins = List.copyOf(v);
        return this;
    }

    public SettingsBuilder secret(String v) {
        secret = v;
        return this;
    }

    /** The source of these settings, handed on to components with keys of their own. */
    public SettingsBuilder config(Config v) {
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
