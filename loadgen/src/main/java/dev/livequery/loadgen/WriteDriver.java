package dev.livequery.loadgen;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes at a fixed rate (open loop: write {@code i} is due at {@code t0 + i/rate}, whatever the
 * server did with the previous ones), shapes round-robin, a random row of the shape each time. At
 * most {@code maxInFlight} writes are outstanding; a due write beyond that is skipped and counted,
 * so an overloaded server shows up as skipped writes rather than as a quietly lower rate.
 */
final class WriteDriver implements Runnable {
    private final HttpWrites http;
    private final WriteTarget target;
    private final Stats stats;
    private final double rate;
    private final int maxInFlight;
    private final long deadlineNanos;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stop;
    private long seq;

    WriteDriver(HttpWrites http, WriteTarget target, Stats stats, double rate, int maxInFlight, long maxSeconds) {
        this.http = http;
        this.target = target;
        this.stats = stats;
        this.rate = rate;
        this.maxInFlight = maxInFlight;
        this.deadlineNanos = System.nanoTime() + maxSeconds * 1_000_000_000L;
    }

    void stop() {
        stop = true;
    }

    int inFlight() {
        return inFlight.get();
    }

    @Override
    public void run() {
        if (rate <= 0) {
            return;
        }
        long t0 = System.nanoTime();
        double interval = 1e9 / rate;
        int shapes = target.workload().shapes();
        int rows = target.workload().rowsPerShape();
        for (long i = 0; !stop; i++) {
            long due = t0 + (long) (i * interval);
            if (due > deadlineNanos) {
                break;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (inFlight.get() >= maxInFlight) {
                stats.writesSkipped.increment();
                continue;
            }
            inFlight.incrementAndGet();
            int shape = (int) (i % shapes);
            int j = ThreadLocalRandom.current().nextInt(rows);
            WriteTarget.Request w = target.write(shape, j, ++seq);
            http.send(w.method(), w.path(), w.body()).whenComplete((status, e) -> {
                inFlight.decrementAndGet();
                if (e == null && status / 100 == 2) {
                    stats.writesOk.increment();
                } else {
                    stats.writesFailed.increment();
                }
            });
        }
    }
}
