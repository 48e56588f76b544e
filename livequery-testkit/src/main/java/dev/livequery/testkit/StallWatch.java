package dev.livequery.testkit;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How long this JVM went without running: a daemon thread asks to wake every few milliseconds and
 * keeps the longest it woke late. A test that holds another process to a deadline uses it to tell
 * a stalled host (every process held up at once: CPU steal, an overloaded CI machine) from a
 * failure of the code under test: what kept this JVM from running kept the other processes from
 * running too. A collector pause of this JVM counts as well, so only stalls far longer than one
 * should excuse anything.
 */
public final class StallWatch implements AutoCloseable {
    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final Thread thread;
    private volatile boolean running = true;
    private volatile long lastWake = System.nanoTime();
    private volatile long longestNanos;

    private StallWatch() {
        thread = new Thread(this::watch, "stall-watch");
        thread.setDaemon(true);
    }

    /** A watch running from now until {@link #close}. */
    public static StallWatch start() {
        StallWatch w = new StallWatch();
        w.thread.start();
        return w;
    }

    private void watch() {
        while (running) {
            LockSupport.parkNanos(PERIOD_NANOS);
            long now = System.nanoTime();
            longestNanos = Math.max(longestNanos, now - lastWake - PERIOD_NANOS);
            lastWake = now;
        }
    }

    /**
     * The longest the watcher woke late since {@link #start}, in milliseconds, counting a wake-up
     * that is late now and has not happened yet.
     */
    public long longestMs() {
        long now = Math.max(0, System.nanoTime() - lastWake - PERIOD_NANOS);
        return TimeUnit.NANOSECONDS.toMillis(Math.max(longestNanos, now));
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
    }
}
