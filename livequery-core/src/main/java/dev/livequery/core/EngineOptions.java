package dev.livequery.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

/**
 * The engine's limits and resume settings (the {@code livequery.*} keys of PROTOCOL §8).
 *
 * @param maxWindow       largest {@code limit} a window may have
 * @param maxQueued       frames a subscription may have waiting before it is reset with {@code overflow}
 * @param horizonChanges  changes per table kept for resume, at least
 * @param horizonTime     age of changes kept for resume, at least (whichever keeps more wins)
 * @param maxHistory      hard cap on changes kept per table, so memory stays bounded under any write rate
 * @param secret          HMAC key for cursors and resume tokens; every process of a deployment needs the same
 * @param tables          allowed table names; empty allows any valid name
 */
public record EngineOptions(int maxWindow, int maxQueued, int horizonChanges, Duration horizonTime,
        int maxHistory, byte[] secret, Set<String> tables) {
    /** A well-known development secret: fine on one machine, never in production. */
    public static final byte[] DEV_SECRET = "livequery-dev-secret-change-me".getBytes(StandardCharsets.UTF_8);

    public EngineOptions {
        if (maxWindow < 1 || maxQueued < 1 || horizonChanges < 0 || maxHistory < horizonChanges) {
            throw new IllegalArgumentException("need maxWindow >= 1, maxQueued >= 1, 0 <= horizonChanges <= maxHistory");
        }
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("the secret must have at least 16 bytes");
        }
        tables = Set.copyOf(tables);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(1000, 1024, 10_000, Duration.ofMinutes(5), 1_000_000, DEV_SECRET, Set.of());
    }

    public EngineOptions withMaxQueued(int n) {
        return new EngineOptions(maxWindow, n, horizonChanges, horizonTime, maxHistory, secret, tables);
    }

    public EngineOptions withHorizon(int changes, Duration time, int max) {
        return new EngineOptions(maxWindow, maxQueued, changes, time, max, secret, tables);
    }

    public EngineOptions withTables(Set<String> allowed) {
        return new EngineOptions(maxWindow, maxQueued, horizonChanges, horizonTime, maxHistory, secret, allowed);
    }

    public EngineOptions withSecret(byte[] key) {
        return new EngineOptions(maxWindow, maxQueued, horizonChanges, horizonTime, maxHistory, key, tables);
    }

    public EngineOptions withMaxWindow(int n) {
        return new EngineOptions(n, maxQueued, horizonChanges, horizonTime, maxHistory, secret, tables);
    }
}
