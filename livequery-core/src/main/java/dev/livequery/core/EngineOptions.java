package dev.livequery.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

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
 */
public record EngineOptions(int maxWindow, int maxQueued, int horizonChanges, Duration horizonTime,
        int maxHistory, byte[] secret, Set<String> tables, int maxViews) {
    /** A well-known development secret: fine on one machine, never in production. */
    public static final byte[] DEV_SECRET = "livequery-dev-secret-change-me".getBytes(StandardCharsets.UTF_8);

    public EngineOptions {
        if (maxWindow < 1 || maxQueued < 1 || horizonChanges < 0 || maxHistory < horizonChanges || maxViews < 1) {
            throw new IllegalArgumentException("need maxWindow >= 1, maxQueued >= 1, maxViews >= 1, "
                    + "0 <= horizonChanges <= maxHistory");
        }
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("the secret must have at least 16 bytes");
        }
        tables = Set.copyOf(tables);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static EngineOptions defaults() {
        return builder().build();
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

        private Builder() {
        }

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

        public EngineOptions build() {
            return new EngineOptions(maxWindow, maxQueued, horizonChanges, horizonTime, maxHistory, secret, tables,
                    maxViews);
        }
    }
}
