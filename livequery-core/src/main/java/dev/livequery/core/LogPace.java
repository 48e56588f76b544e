package dev.livequery.core;

import java.util.function.LongSupplier;

/**
 * At most one log line per period for a line anyone on the network can cause (a refused Origin,
 * a socket over a quota): a flood of them cost the gateway a log write each, through one
 * synchronized handler. The line that goes out says how many were left out before it.
 */
public final class LogPace {
    private final long periodNanos;
    private final LongSupplier clock;
    private long nextNanos;
    private boolean started;
    private long suppressed;

    public LogPace(long periodNanos, LongSupplier clock) {
        this.periodNanos = periodNanos;
        this.clock = clock;
    }

    /** -1: leave this line out. Else log it, saying how many (this number) were left out before it. */
    public synchronized long admit() {
        long now = clock.getAsLong();
        if (started && now - nextNanos < 0) {
            suppressed++;
            return -1;
        }
        started = true;
        nextNanos = now + periodNanos;
        long left = suppressed;
        suppressed = 0;
        return left;
    }
}
