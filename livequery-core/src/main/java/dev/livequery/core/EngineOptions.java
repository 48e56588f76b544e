package dev.livequery.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

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
 * @param previousSecret  the secret being rotated out ({@code livequery.previous-secret}), or null:
 *                        cursors and tokens it signed are still accepted for {@code previousOverlap}
 * @param previousOverlap how long after start {@code previousSecret} is accepted
 *                        ({@code livequery.previous-secret-overlap})
 * @param maxHistoryBytes hard cap on the bytes of row images the history of one table keeps
 *                        ({@code livequery.limits.max-history-bytes}), so large rows cannot pin memory
 * @param maxRowBytes     largest row, as JSON, a write may store ({@code livequery.limits.max-row});
 *                        larger is {@code too_large}
 */
public record EngineOptions(int maxWindow, int maxQueued, int horizonChanges, Duration horizonTime,
        int maxHistory, byte[] secret, Set<String> tables, byte[] previousSecret, Duration previousOverlap,
        long maxHistoryBytes, int maxRowBytes) {
    /** A well-known development secret: fine on one machine, never in production. */
    public static final byte[] DEV_SECRET = "livequery-dev-secret-change-me".getBytes(StandardCharsets.UTF_8);
    public static final long DEFAULT_MAX_HISTORY_BYTES = 256L << 20;
    public static final int DEFAULT_MAX_ROW_BYTES = 1 << 20;

    public EngineOptions {
        if (maxWindow < 1 || maxQueued < 1 || horizonChanges < 0 || maxHistory < horizonChanges) {
            throw new IllegalArgumentException("need maxWindow >= 1, maxQueued >= 1, 0 <= horizonChanges <= maxHistory");
        }
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("the secret must have at least 16 bytes");
        }
        if (previousSecret != null && previousSecret.length < 16) {
            throw new IllegalArgumentException("the previous secret must have at least 16 bytes");
        }
        if (previousOverlap == null || previousOverlap.isNegative()) {
            throw new IllegalArgumentException("the previous secret's overlap must be a duration >= 0");
        }
        if (maxRowBytes < 64 || maxHistoryBytes < 2L * maxRowBytes) {
            throw new IllegalArgumentException("need maxRowBytes >= 64 and maxHistoryBytes >= 2 * maxRowBytes, so the "
                    + "history can always hold the last change");
        }
        tables = Set.copyOf(tables);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(1000, 1024, 10_000, Duration.ofMinutes(5), 1_000_000, DEV_SECRET, Set.of(), null,
                Duration.ofHours(1), DEFAULT_MAX_HISTORY_BYTES, DEFAULT_MAX_ROW_BYTES);
    }

    public EngineOptions withMaxQueued(int n) {
        return new EngineOptions(maxWindow, n, horizonChanges, horizonTime, maxHistory, secret, tables,
                previousSecret, previousOverlap, maxHistoryBytes, maxRowBytes);
    }

    public EngineOptions withHorizon(int changes, Duration time, int max) {
        return new EngineOptions(maxWindow, maxQueued, changes, time, max, secret, tables,
                previousSecret, previousOverlap, maxHistoryBytes, maxRowBytes);
    }

    public EngineOptions withTables(Set<String> allowed) {
        return new EngineOptions(maxWindow, maxQueued, horizonChanges, horizonTime, maxHistory, secret, allowed,
                previousSecret, previousOverlap, maxHistoryBytes, maxRowBytes);
    }

    public EngineOptions withSecret(byte[] key) {
        return new EngineOptions(maxWindow, maxQueued, horizonChanges, horizonTime, maxHistory, key, tables,
                previousSecret, previousOverlap, maxHistoryBytes, maxRowBytes);
    }

    public EngineOptions withMaxWindow(int n) {
        return new EngineOptions(n, maxQueued, horizonChanges, horizonTime, maxHistory, secret, tables,
                previousSecret, previousOverlap, maxHistoryBytes, maxRowBytes);
    }

    /**
     * Rotating the secret: {@code key} (null for none) is still accepted for cursors and resume
     * tokens for {@code overlap} after start, while the current secret signs everything new.
     */
    public EngineOptions withPreviousSecret(byte[] key, Duration overlap) {
        return new EngineOptions(maxWindow, maxQueued, horizonChanges, horizonTime, maxHistory, secret, tables,
                key, overlap, maxHistoryBytes, maxRowBytes);
    }

    /** The configuration keys {@link #withKeys} reads. */
    public static final String PREVIOUS_SECRET = "livequery.previous-secret";
    public static final String PREVIOUS_SECRET_OVERLAP = "livequery.previous-secret-overlap";
    public static final String MAX_ROW = "livequery.limits.max-row";
    public static final String MAX_HISTORY_BYTES = "livequery.limits.max-history-bytes";

    /**
     * These options with the engine's own keys applied: {@value #PREVIOUS_SECRET},
     * {@value #PREVIOUS_SECRET_OVERLAP} (ISO-8601 duration), {@value #MAX_ROW} and
     * {@value #MAX_HISTORY_BYTES} (bytes). {@code lookup} gives a key's value, or null when it is
     * not set; a value that does not parse fails with the key named, for a start-up error.
     */
    public EngineOptions withKeys(Function<String, String> lookup) {
        String prev = lookup.apply(PREVIOUS_SECRET);
        Duration overlap = parse(lookup, PREVIOUS_SECRET_OVERLAP, Duration::parse, previousOverlap);
        long history = parse(lookup, MAX_HISTORY_BYTES, Long::parseLong, maxHistoryBytes);
        int row = parse(lookup, MAX_ROW, Integer::parseInt, maxRowBytes);
        try {
            return withPreviousSecret(prev == null || prev.isBlank() ? previousSecret
                    : prev.getBytes(StandardCharsets.UTF_8), overlap).withSizeLimits(history, row);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config " + PREVIOUS_SECRET + " / " + PREVIOUS_SECRET_OVERLAP + " / "
                    + MAX_ROW + " / " + MAX_HISTORY_BYTES + ": " + e.getMessage(), e);
        }
    }

    /** The environment variable of a key: {@code livequery.limits.max-row} is {@code LIVEQUERY_LIMITS_MAX_ROW}. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static <T> T parse(Function<String, String> lookup, String key, Function<String, T> parser, T dflt) {
        String v = lookup.apply(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return parser.apply(v.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config " + key + " = '" + v + "' is not valid: " + e.getMessage(), e);
        }
    }

    /** The size limits: row images kept per table's history, and one row. */
    public EngineOptions withSizeLimits(long historyBytes, int rowBytes) {
        return new EngineOptions(maxWindow, maxQueued, horizonChanges, horizonTime, maxHistory, secret, tables,
                previousSecret, previousOverlap, historyBytes, rowBytes);
    }
}
