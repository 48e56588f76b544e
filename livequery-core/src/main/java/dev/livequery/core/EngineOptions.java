package dev.livequery.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * The engine's limits and resume settings (the {@code livequery.*} keys of PROTOCOL §8). Made with
 * {@link #builder()}; every option is named once, in the {@link Builder}, with its default.
 *
 * @param maxWindow       largest {@code limit} a window may have
 * @param maxQueued       frames a subscription may have waiting before it is reset with {@code overflow}
 * @param horizonChanges  changes per table kept for resume, at least
 * @param horizonTime     age of changes kept for resume, at least (whichever keeps more wins)
 * @param maxHistory      hard cap on changes kept per table, so memory stays bounded under any write rate
 * @param secret          HMAC key for cursors and resume tokens; every process of a deployment needs the same
 * @param tables          allowed table names; empty allows any valid name
 * @param maxViews        distinct shapes (views) a table may have at once; a subscribe past it is refused
 * @param previousSecret  the secret being rotated out ({@code livequery.previous-secret}), or null:
 *                        cursors and tokens it signed are still accepted for {@code previousOverlap}
 * @param previousOverlap how long after start {@code previousSecret} is accepted
 *                        ({@code livequery.previous-secret-overlap})
 * @param maxHistoryBytes hard cap on the bytes of row images the history of one table keeps
 *                        ({@code livequery.limits.max-history-bytes}), so large rows cannot pin memory
 * @param maxRowBytes     largest row, as JSON, a write may store ({@code livequery.limits.max-row});
 *                        larger is {@code too_large}
 * @param maxViewRows     entries all views of the engine may hold together, each a matching row of
 *                        its table ({@code livequery.limits.max-view-rows}); a view that would pass it is
 *                        refused ({@code too_many_subs}), and so is every new one while it is passed
 */
public record EngineOptions(
        int maxWindow,
        int maxQueued,
        int horizonChanges,
        Duration horizonTime,
        int maxHistory,
        byte[] secret,
        Set<String> tables,
        int maxViews,
        byte[] previousSecret,
        Duration previousOverlap,
        long maxHistoryBytes,
        int maxRowBytes,
        long maxViewRows) {
    /** A well-known development secret: fine on one machine, never in production. */
    public static final byte[] DEV_SECRET = "livequery-dev-secret-change-me".getBytes(StandardCharsets.UTF_8);

    public static final long DEFAULT_MAX_HISTORY_BYTES = 256L << 20;
    public static final int DEFAULT_MAX_ROW_BYTES = 1 << 20;
    /** About 2 GB of heap at the ~100 bytes a view entry costs (README, "Memory and the JVM"). */
    public static final long DEFAULT_MAX_VIEW_ROWS = 20_000_000;

    public EngineOptions {
        if (maxWindow < 1 || maxQueued < 1 || horizonChanges < 0 || maxHistory < horizonChanges || maxViews < 1) {
            throw new IllegalArgumentException(
                    "need maxWindow >= 1, maxQueued >= 1, maxViews >= 1, " + "0 <= horizonChanges <= maxHistory");
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
        if (maxViewRows < 1) {
            throw new IllegalArgumentException("need maxViewRows >= 1");
        }
        tables = Set.copyOf(tables);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static EngineOptions defaults() {
        return builder().build();
    }

    /**
     * Whether {@code livequery.tables.allow} admits {@code table}: any table when the list is
     * empty. The one place the list is read; the name's own rules are {@link Query#table}'s.
     */
    public boolean allows(String table) {
        return tables.isEmpty() || tables.contains(table);
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxWindow = maxWindow;
        b.maxQueued = maxQueued;
        b.horizonChanges = horizonChanges;
        b.horizonTime = horizonTime;
        b.maxHistory = maxHistory;
        b.secret = secret;
        b.tables = tables;
        b.maxViews = maxViews;
        b.previousSecret = previousSecret;
        b.previousOverlap = previousOverlap;
        b.maxHistoryBytes = maxHistoryBytes;
        b.maxRowBytes = maxRowBytes;
        b.maxViewRows = maxViewRows;
        return b;
    }

    public EngineOptions withMaxQueued(int n) {
        return toBuilder().maxQueued(n).build();
    }

    public EngineOptions withHorizon(int changes, Duration time, int max) {
        return toBuilder().horizon(changes, time, max).build();
    }

    public EngineOptions withTables(Set<String> allowed) {
        return toBuilder().tables(allowed).build();
    }

    public EngineOptions withSecret(byte[] key) {
        return toBuilder().secret(key).build();
    }

    public EngineOptions withMaxWindow(int n) {
        return toBuilder().maxWindow(n).build();
    }

    /**
     * Rotating the secret: {@code key} (null for none) is still accepted for cursors and resume
     * tokens for {@code overlap} after start, while the current secret signs everything new.
     */
    public EngineOptions withPreviousSecret(byte[] key, Duration overlap) {
        return toBuilder().previousSecret(key, overlap).build();
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
            return withPreviousSecret(
                            prev == null || prev.isBlank() ? previousSecret : prev.getBytes(StandardCharsets.UTF_8),
                            overlap)
                    .withSizeLimits(history, row);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "config " + PREVIOUS_SECRET + " / " + PREVIOUS_SECRET_OVERLAP + " / " + MAX_ROW + " / "
                            + MAX_HISTORY_BYTES + ": " + e.getMessage(),
                    e);
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
        return toBuilder().sizeLimits(historyBytes, rowBytes).build();
    }

    /** The options, each with its default. */
    public static final class Builder {
        private int maxWindow = 1000;
        private int maxQueued = 1024;
        private int horizonChanges = 10_000;
        private Duration horizonTime = Duration.ofMinutes(5);
        private int maxHistory = 1_000_000;
        private byte[] secret = DEV_SECRET;
        private Set<String> tables = Set.of();
        private int maxViews = 1000;
        private byte[] previousSecret;
        private Duration previousOverlap = Duration.ofHours(1);
        private long maxHistoryBytes = DEFAULT_MAX_HISTORY_BYTES;
        private int maxRowBytes = DEFAULT_MAX_ROW_BYTES;
        private long maxViewRows = DEFAULT_MAX_VIEW_ROWS;

        private Builder() {}

        public Builder maxWindow(int n) {
            maxWindow = n;
            return this;
        }

        public Builder maxQueued(int n) {
            maxQueued = n;
            return this;
        }

        /** At least {@code changes} changes or {@code time}, whichever keeps more, never more than {@code max}. */
        public Builder horizon(int changes, Duration time, int max) {
            horizonChanges = changes;
            horizonTime = time;
            maxHistory = max;
            return this;
        }

        /**
         * The hard cap on changes kept per table ({@code livequery.resume.max-changes}); the
         * at-least-10,000-changes horizon shrinks to it when it is smaller.
         */
        public Builder maxHistory(int max) {
            maxHistory = max;
            horizonChanges = Math.min(horizonChanges, max);
            return this;
        }

        public Builder secret(byte[] key) {
            secret = key;
            return this;
        }

        public Builder tables(Set<String> allowed) {
            tables = allowed;
            return this;
        }

        public Builder maxViews(int n) {
            maxViews = n;
            return this;
        }

        /** Entries all views may hold together ({@code livequery.limits.max-view-rows}). */
        public Builder maxViewRows(long n) {
            maxViewRows = n;
            return this;
        }

        /**
         * Rotating the secret: {@code key} (null for none) is still accepted for cursors and resume
         * tokens for {@code overlap} after start, while the current secret signs everything new.
         */
        public Builder previousSecret(byte[] key, Duration overlap) {
            previousSecret = key;
            previousOverlap = overlap;
            return this;
        }

        /** The size limits: row images kept per table's history, and one row. */
        public Builder sizeLimits(long historyBytes, int rowBytes) {
            maxHistoryBytes = historyBytes;
            maxRowBytes = rowBytes;
            return this;
        }

        public EngineOptions build() {
            return new EngineOptions(
                    maxWindow,
                    maxQueued,
                    horizonChanges,
                    horizonTime,
                    maxHistory,
                    secret,
                    tables,
                    maxViews,
                    previousSecret,
                    previousOverlap,
                    maxHistoryBytes,
                    maxRowBytes,
                    maxViewRows);
        }
    }
}
