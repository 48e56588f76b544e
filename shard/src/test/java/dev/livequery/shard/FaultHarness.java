package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.testkit.SilenceChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;

/**
 * What every fault scenario of issue 13 §4 shares: windows followed by naive clients on three
 * tables, a paced writer, the fault run while it writes, and the end check (every window equal
 * to the truth, no violation, no window out of date for more than 3 s without {@code status
 * stale} or a reset, by {@link SilenceChecker} (the test kit's)). Everything a scenario starts goes through
 * {@link #keep} and is closed after it, in reverse order.
 */
abstract class FaultHarness {
    static final List<String> TABLES = List.of("fa", "fb", "fc");
    /** Longest silent divergence allowed: the 3 s, sampling included. */
    static final long SILENT_MS = 3_000;

    final List<AutoCloseable> closing = new ArrayList<>();
    final List<Client> clients = new ArrayList<>();
    final List<Query> queries = new ArrayList<>();
    final AtomicBoolean writing = new AtomicBoolean();
    /** Clients between two gateways (closed on one, resuming on the other): they know they are not served. */
    final Set<Integer> away = ConcurrentHashMap.newKeySet();

    Thread writer;

    <T extends AutoCloseable> T keep(T c) {
        closing.add(0, c);
        return c;
    }

    @AfterEach
    void down() throws Exception {
        writing.set(false);
        if (writer != null) {
            writer.join(5000);
        }
        for (AutoCloseable c : closing) {
            try {
                c.close();
            } catch (Exception e) {
                System.out.println("cleanup: " + e);
            }
        }
    }

    void follow(RedisBackend gw) throws Exception {
        for (String t : TABLES) {
            for (int i = 0; i < 12; i++) {
                gw.put(t, "r" + i, row("{\"n\":" + i + "}"), null);
            }
            for (Query q : List.of(
                    query("{\"table\":\"" + t + "\",\"order\":[{\"field\":\"n\"}],\"limit\":5}"),
                    query("{\"table\":\"" + t + "\",\"order\":[{\"field\":\"n\",\"dir\":\"desc\"}],\"limit\":4}"))) {
                clients.add(new Client(gw.subscribe(q, null, () -> {})));
                queries.add(q);
            }
        }
    }

    /** A paced writer (about 40 writes a second) through {@code gw}, seeded; failures (503s) are retried later. */
    void write(RedisBackend gw, long seed) {
        writing.set(true);
        writer = Thread.ofVirtual().start(() -> {
            Random rnd = new Random(seed);
            while (writing.get()) {
                String t = TABLES.get(rnd.nextInt(TABLES.size()));
                try {
                    gw.put(t, "r" + rnd.nextInt(20), row("{\"n\":" + rnd.nextInt(40) + "}"), null);
                } catch (Exception unavailable) {
                    // the fault at work; the next write goes on
                }
                LockSupport.parkNanos(25_000_000L); // pacing
            }
        });
    }

    void stopWriting() throws InterruptedException {
        writing.set(false);
        writer.join(5000);
    }

    /**
     * Waits until every window equals the truth and is ready. A truth that cannot be read yet
     * (the store still unreachable after the fault: {@link Fixtures#truth} throws
     * IllegalStateException) is asked again, until {@code max}.
     */
    void converge(RedisBackend truthFrom, Duration max) {
        long start = System.nanoTime();
        await().atMost(max)
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsInstanceOf(IllegalStateException.class)
                .untilAsserted(() -> {
                    for (int i = 0; i < clients.size(); i++) {
                        Client c = clients.get(i).poll();
                        assertThat(c.window())
                                .as("client %d on %s", i, queries.get(i).shape())
                                .isEqualTo(truth(truthFrom, queries.get(i)));
                        assertThat(c.ready()).isTrue();
                    }
                });
        for (Client c : clients) {
            assertThat(c.violations()).isEmpty();
        }
        System.out.println("converged in " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    /** Runs {@code fault} while the writer writes, then checks convergence and silence. */
    void scenario(String name, long seed, RedisBackend writeVia, RedisBackend truthFrom, Fault fault) throws Exception {
        converge(truthFrom, Duration.ofSeconds(20));
        System.out.println(name + ": seed " + seed);
        try (SilenceChecker checker =
                new SilenceChecker(clients.size(), i -> look(i, truthFrom), Duration.ofMillis(100))) {
            write(writeVia, seed);
            fault.run();
            LockSupport.parkNanos(2_000_000_000L); // writes go on after the fault: the windows must follow
            stopWriting();
            converge(truthFrom, Duration.ofSeconds(40));
            System.out.println(name + ": longest silent divergence per client (ms) " + checker.perClientMs()
                    + " from " + checker.longestFrom()
                    + "; statuses " + clients.get(0).statuses() + "; resets "
                    + clients.get(0).resets());
            assertThat(checker.worstMs()).as("silently stale (seed %d)", seed).isLessThan(SILENT_MS);
        }
    }

    /** Client {@code i} against the truth read through {@code truth} (a backend on a healthy link). */
    private SilenceChecker.Look look(int i, RedisBackend truth) {
        Client c = clients.get(i).poll();
        List<Client.Item> want;
        try {
            want = Fixtures.truth(truth, queries.get(i));
        } catch (RuntimeException cannotJudge) {
            // The truth is unreadable right now (Redis down or paused): no sample, unless the
            // client has been told, which no truth could make silent. Without it a divergence
            // caught just as Redis stopped answering ran on, unsampled, until Redis was back,
            // however early the client was told stale.
            synchronized (c) {
                return c.staleNow() || !c.ready() || away.contains(i) ? new SilenceChecker.Look(false, true) : null;
            }
        }
        synchronized (c) {
            return new SilenceChecker.Look(c.window().equals(want), c.staleNow() || !c.ready() || away.contains(i));
        }
    }

    interface Fault {
        void run() throws Exception;
    }

    static void hold(long ms) {
        LockSupport.parkNanos(ms * 1_000_000L); // the fault's duration
    }
}
