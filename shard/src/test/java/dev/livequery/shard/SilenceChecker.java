package dev.livequery.shard;

import dev.livequery.core.Backend;
import dev.livequery.core.Query;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * "Stale without being told": samples every client every 100 ms against the truth (a one-shot
 * query through a backend on a healthy link) and records, per client, the longest time its
 * window differed from the truth while it was neither told {@code status stale} nor in a reset
 * (between a reset and its ready). Issue 13 wants that under 3 s in every fault.
 */
final class SilenceChecker implements AutoCloseable {
    private final List<Client> clients;
    private final List<Query> queries;
    private final Backend truth;
    private final long[] silentSince;
    private final long[] longest;
    /** Wall-clock start of each client's longest silent divergence, for reading next to process logs. */
    private final java.time.Instant[] longestFrom;
    private volatile boolean running = true;
    private final Thread thread;

    SilenceChecker(List<Client> clients, List<Query> queries, Backend truth) {
        this.clients = clients;
        this.queries = queries;
        this.truth = truth;
        this.silentSince = new long[clients.size()];
        this.longest = new long[clients.size()];
        this.longestFrom = new java.time.Instant[clients.size()];
        thread = new Thread(this::run, "silence-checker");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            for (int i = 0; i < clients.size(); i++) {
                sample(i);
            }
            LockSupport.parkNanos(100_000_000L); // the sampling period, not a wait for a condition
        }
    }

    private void sample(int i) {
        Client c = clients.get(i).poll();
        List<Client.Item> want;
        try {
            want = Fixtures.truth(truth, queries.get(i));
        } catch (RuntimeException cannotJudge) {
            return; // the truth is unreadable right now (Redis down): no sample
        }
        boolean told;
        boolean same;
        synchronized (c) {
            told = c.staleNow || !c.ready;
            same = c.window().equals(want);
        }
        long now = System.nanoTime();
        if (same || told) {
            silentSince[i] = 0;
        } else if (silentSince[i] == 0) {
            silentSince[i] = now;
        } else {
            if (now - silentSince[i] > longest[i]) {
                longest[i] = now - silentSince[i];
                longestFrom[i] = java.time.Instant.now().minusNanos(longest[i]);
            }
        }
    }

    /** The longest silent divergence of any client so far, in ms. */
    synchronized long worstMs() {
        long w = 0;
        for (long l : longest) {
            w = Math.max(w, l);
        }
        return w / 1_000_000;
    }

    List<Long> perClientMs() {
        List<Long> out = new ArrayList<>();
        for (long l : longest) {
            out.add(l / 1_000_000);
        }
        return out;
    }

    /** Where each client's longest silent divergence began (null: never silent). */
    List<java.time.Instant> longestFrom() {
        return java.util.Arrays.asList(longestFrom.clone());
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
    }
}
