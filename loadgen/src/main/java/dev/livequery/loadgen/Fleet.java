package dev.livequery.loadgen;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * All client connections: (re)connects them with bounded concurrency and times each until every
 * subscription is ready. A reconnect storm is {@link #drop()} then {@link #connectAll} at once.
 */
final class Fleet {
    /** How a (re)connect round went; {@code millis} is from the round's start to each client's ready. */
    record Round(int ok, int failed, double seconds, Histogram millis, List<String> errors) {
    }

    final List<LiveClient> clients = new ArrayList<>();
    private final AtomicInteger connected = new AtomicInteger();

    int connected() {
        return connected.get();
    }

    Round connectAll(List<LiveClient> which, int concurrency, long timeoutSeconds) throws InterruptedException {
        Semaphore permits = new Semaphore(concurrency);
        Histogram millis = new Histogram(3);
        List<String> errors = new ArrayList<>();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (LiveClient c : which) {
            if (!permits.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                failed.incrementAndGet();
                continue;
            }
            CompletableFuture<Void> f = c.connect().orTimeout(Math.max(1, deadline - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
            all.add(f.whenComplete((v, e) -> {
                permits.release();
                if (e == null) {
                    synchronized (millis) {
                        millis.recordValue((System.nanoTime() - t0) / 1_000_000);
                    }
                    ok.incrementAndGet();
                    connected.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    synchronized (errors) {
                        if (errors.size() < 5) {
                            errors.add(e instanceof TimeoutException ? "timeout" : String.valueOf(e));
                        }
                    }
                }
            }));
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(timeoutSeconds + 5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // counted per client above
        }
        return new Round(ok.get(), failed.get(), (System.nanoTime() - t0) / 1e9, millis, errors);
    }

    void drop(List<LiveClient> which) {
        for (LiveClient c : which) {
            c.drop();
        }
        connected.addAndGet(-which.size());
    }
}
