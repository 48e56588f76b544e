package dev.livequery.redis.backend;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A periodic task that outlives its own failures (the gateway's {@code Guard.round}, for this
 * module, which the gateway depends on and not the other way round). A scheduled executor cancels
 * a periodic task for good the first time it throws: one Error in the stale check would have left
 * every window of this gateway marked live while its shards were gone.
 */
final class GuardedRound {
    private GuardedRound() {}

    /** {@code round}, failing only for itself: logged SEVERE once per kind of failure, then run again. */
    static Runnable of(Logger log, String what, Runnable round) {
        Set<Class<?>> logged = ConcurrentHashMap.newKeySet();
        return () -> {
            try {
                round.run();
            } catch (Throwable t) {
                try {
                    if (logged.add(t.getClass())) {
                        log.log(
                                Level.SEVERE,
                                what + " failed (" + t + "); it runs again at its next tick (logged once per kind)",
                                t);
                    }
                } catch (Throwable ignored) {
                    // logging failed too (out of memory): the schedule matters more than the line
                }
            }
        };
    }
}
