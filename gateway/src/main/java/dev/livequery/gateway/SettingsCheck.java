package dev.livequery.gateway;

import java.time.Duration;

/** Refuses settings that cannot work, at startup, with the key at fault in the message. */
final class SettingsCheck {
    private SettingsCheck() {}

    /** Throws an {@link IllegalArgumentException} naming the key at fault. */
    static void check(Settings s) {
        positive("livequery.limits.max-window", s.maxWindow());
        positive("livequery.limits.max-queued", s.maxQueued());
        positive("livequery.limits.subs-per-connection", s.subsPerConnection());
        positive("livequery.limits.max-message", s.maxMessage());
        positive("livequery.limits.max-body", s.maxBody());
        positive("livequery.limits.max-connections", s.maxConnections());
        positive("livequery.limits.max-response", s.maxResponse());
        positive("livequery.limits.max-views", s.maxViews());
        positive("livequery.limits.max-view-rows", s.maxViewRows());
        positive("livequery.resume.max-changes", s.resumeMaxChanges());
        notNegative("livequery.resume.horizon-changes", s.resumeHorizonChanges());
        positive("livequery.resume.horizon-time", s.resumeHorizonTime());
        notNegative("livequery.shutdown-grace", s.shutdownGrace());
        notNegative("livequery.header-timeout", s.headerTimeout());
        positive("livequery.body-timeout", s.bodyTimeout());
        positive("livequery.demo.rows", s.demoRows());
        if (!(s.demoChangesPerSecond() >= 0) || Double.isInfinite(s.demoChangesPerSecond())) {
            throw new IllegalArgumentException(
                    "config livequery.demo.changes-per-second must be a number >= 0, got " + s.demoChangesPerSecond());
        }
        positive("livequery.write-deadline", s.writeDeadline());
        positive("livequery.ws.ping-interval", s.pingInterval());
        positive("livequery.ws.idle-timeout", s.idleTimeout());
        positive("livequery.sse.heartbeat", s.heartbeat());
        String backend = s.backend();
        if (!backend.equals("local") && !backend.equals("redis")) {
            throw new IllegalArgumentException("livequery.backend must be 'local' or 'redis', got '" + backend + "'");
        }
        // In cluster mode a reset's snapshot reaches the gateway as frames in the subscription's
        // queue (reset, up to max-window enters, ready): a smaller queue overflows on every snapshot.
        if (backend.equals("redis") && s.maxQueued() < s.maxWindow() + 2) {
            throw new IllegalArgumentException("livequery.limits.max-queued (" + s.maxQueued() + ") must be at least "
                    + "livequery.limits.max-window + 2 (" + (s.maxWindow() + 2) + ") with livequery.backend=redis: "
                    + "a snapshot travels through the queue and would overflow it every time");
        }
        try {
            s.engineOptions(); // the engine checks its own combinations (size limits, secrets)
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "config livequery.secret / livequery.previous-secret(-overlap) / "
                            + "livequery.limits.max-row / livequery.limits.max-history-bytes: " + e.getMessage(),
                    e);
        }
    }

    private static void positive(String key, long v) {
        if (v < 1) {
            throw new IllegalArgumentException("config " + key + " must be at least 1, got " + v);
        }
    }

    private static void notNegative(String key, long v) {
        if (v < 0) {
            throw new IllegalArgumentException("config " + key + " must be at least 0, got " + v);
        }
    }

    private static void notNegative(String key, Duration v) {
        if (v.isNegative()) {
            throw new IllegalArgumentException("config " + key + " must not be negative, got " + v);
        }
    }

    private static void positive(String key, Duration v) {
        if (v.isNegative() || v.isZero()) {
            throw new IllegalArgumentException("config " + key + " must be a positive duration, got " + v);
        }
    }
}
