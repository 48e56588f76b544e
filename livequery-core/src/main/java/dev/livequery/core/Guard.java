package dev.livequery.core;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Scheduled work that outlives its own failures. A {@code ScheduledExecutorService} cancels a
 * periodic task for good the first time it throws: one OutOfMemoryError in the gateway's watchdog
 * would have ended write deadlines, idle closes and pings for every connection, and one in a
 * cluster gateway's stale check would have left every window marked live while its shards were
 * gone, silently. A guarded round logs SEVERE once per kind of failure and the next round runs as
 * scheduled. Here, in the core, because the gateway and the cluster client both schedule such work.
 */
public final class Guard {
    private Guard() {}

    /**
     * A one-shot task whose failure is logged (SEVERE): a scheduled one-shot task that throws only
     * fails its future, which nobody reads. No per-kind memory, so it costs one lambda per task.
     */
    public static Runnable once(Logger log, String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (Throwable t) {
                try {
                    log.log(Level.SEVERE, what + " failed (" + t + ")", t);
                } catch (Throwable ignored) {
                    // logging failed too (out of memory): nothing more to do for a one-shot task
                }
            }
        };
    }

    /** {@code round}, failing only for itself; {@code what} names it in the one log line. */
    public static Runnable round(Logger log, String what, Runnable round) {
        Set<Class<?>> logged = ConcurrentHashMap.newKeySet();
        return () -> {
            try {
                round.run();
            } catch (Throwable t) {
                try {
                    if (logged.add(t.getClass())) {
                        log.log(
                                Level.SEVERE,
                                what + " failed (" + t + "); it runs again at its next tick. Logged once per kind of"
                                        + " failure: if this is an OutOfMemoryError, give the JVM more heap",
                                t);
                    }
                } catch (Throwable ignored) {
                    // logging failed too (out of memory): the schedule matters more than the line
                }
            }
        };
    }
}
