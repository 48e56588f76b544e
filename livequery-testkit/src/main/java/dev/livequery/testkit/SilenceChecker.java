package dev.livequery.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * "Stale without being told" over a set of clients (issue 13: a window that differs from the
 * truth for more than 3 s must have been told so): a daemon thread looks at every client each
 * {@code period} through the caller's {@link Sampler} and keeps a {@link Silence} per client.
 * What "the truth" and "told" are is the caller's (a one-shot query through a healthy link, the
 * client's own status and reset state), so the same checker serves every module's fault tests.
 */
public final class SilenceChecker implements AutoCloseable {
    /** One look at one client; see {@link Silence#look}. */
    public record Look(boolean same, boolean told) {}

    /** Looks at client {@code i}; null when it cannot be judged now (the truth is unreadable). */
    @FunctionalInterface
    public interface Sampler {
        Look look(int i);
    }

    private final Sampler sampler;
    private final Silence[] silences;
    private final long period;
    private final long startNanos = System.nanoTime();
    private final Instant startWall = Instant.now();
    private volatile boolean running = true;
    private final Thread thread;

    public SilenceChecker(int clients, Sampler sampler, Duration period) {
        this.sampler = sampler;
        this.period = period.toNanos();
        this.silences = new Silence[clients];
        for (int i = 0; i < clients; i++) {
            silences[i] = new Silence();
        }
        thread = new Thread(this::run, "silence-checker");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            for (int i = 0; i < silences.length; i++) {
                Look l = sampler.look(i);
                if (l != null) {
                    synchronized (this) {
                        silences[i].look(l.same(), l.told(), System.nanoTime());
                    }
                }
            }
            LockSupport.parkNanos(period); // the sampling period, not a wait for a condition
        }
    }

    /** The longest silent divergence of any client so far, in ms. */
    public synchronized long worstMs() {
        long w = 0;
        for (Silence s : silences) {
            w = Math.max(w, s.longestNanos());
        }
        return w / 1_000_000;
    }

    /** Each client's longest silent divergence, in ms. */
    public synchronized List<Long> perClientMs() {
        List<Long> out = new ArrayList<>();
        for (Silence s : silences) {
            out.add(s.longestNanos() / 1_000_000);
        }
        return out;
    }

    /** Where each client's longest silent divergence began, on the wall clock (null: never silent). */
    public synchronized List<Instant> longestFrom() {
        List<Instant> out = new ArrayList<>();
        for (Silence s : silences) {
            out.add(s.longestStart() < 0 ? null : startWall.plusNanos(s.longestStart() - startNanos));
        }
        return out;
    }

    /** Stops sampling (waits for the last look to finish). */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
