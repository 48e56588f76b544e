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
    record Round(
            int ok,
            int failed,
            double seconds,
            Histogram millis,
            List<String> errors,
            java.util.Map<String, Histogram> steps) {
        Round(int ok, int failed, double seconds, Histogram millis, List<String> errors) {
            this(ok, failed, seconds, millis, errors, java.util.Map.of());
        }

        /** One line: p50/p99/max ms from the round's start to each step of the clients that got ready. */
        String stepsLine() {
            StringBuilder b = new StringBuilder();
            steps.forEach((k, h) -> b.append(String.format(
                    "%s p50 %d p99 %d max %d; ",
                    k, h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue())));
            return b.toString();
        }
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
        java.util.Map<LiveClient, Long> readyAt = new java.util.concurrent.ConcurrentHashMap<>();
        for (LiveClient c : which) {
            if (!permits.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                failed.incrementAndGet();
                continue;
            }
            CompletableFuture<Void> f =
                    c.connect().orTimeout(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            all.add(f.whenComplete((v, e) -> {
                permits.release();
                if (e == null) {
                    readyAt.put(c, System.nanoTime());
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
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Round(ok.get(), failed.get(), seconds, millis, errors, steps(readyAt, t0));
    }

    /**
     * Where a round's time went: for every client that got ready, ms from the round's start to each
     * step (permit, open, subscribes sent, first frame, ready), and the open-to-ready part alone.
     */
    private static java.util.Map<String, Histogram> steps(java.util.Map<LiveClient, Long> readyAt, long t0) {
        java.util.Map<String, Histogram> out = new java.util.LinkedHashMap<>();
        LiveClient.Marks[] names = LiveClient.Marks.values();
        for (var e : readyAt.entrySet()) {
            long[] m = e.getKey().marks();
            if (m == null) {
                continue;
            }
            for (int i = 0; i < names.length; i++) {
                if (m[i] != 0) {
                    out.computeIfAbsent(names[i].name().toLowerCase(), k -> new Histogram(3))
                            .recordValue(Math.max(0, (m[i] - t0) / 1_000_000));
                }
            }
            out.computeIfAbsent("ready", k -> new Histogram(3))
                    .recordValue(Math.max(0, (e.getValue() - t0) / 1_000_000));
            long open = m[LiveClient.Marks.OPEN.ordinal()];
            long start = m[LiveClient.Marks.START.ordinal()];
            if (open != 0 && start != 0) {
                out.computeIfAbsent("start_to_open", k -> new Histogram(3)).recordValue((open - start) / 1_000_000);
                out.computeIfAbsent("open_to_ready", k -> new Histogram(3))
                        .recordValue(Math.max(0, (e.getValue() - open) / 1_000_000));
            }
        }
        return out;
    }

    void drop(List<LiveClient> which) {
        for (LiveClient c : which) {
            c.drop();
        }
        connected.addAndGet(-which.size());
    }
}
