package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.testkit.Logged;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A guarded round outlives an Error (the gateway's watchdog, the demo, auth timers, the cluster
 * watcher's ticks); an unguarded one is cancelled for good by the first, which is what the
 * watchdog's catch of RuntimeException allowed.
 */
class GuardTest {

    /** Throws OutOfMemoryError in rounds 1 and 2, StackOverflowError in round 3, then runs. */
    private static Runnable failingFirst(AtomicInteger rounds) {
        return () -> {
            int n = rounds.incrementAndGet();
            if (n <= 2) {
                throw new OutOfMemoryError("round " + n);
            }
            if (n == 3) {
                throw new StackOverflowError();
            }
        };
    }

    @Test
    void aGuardedRoundRunsOnAfterErrorsAndLogsOncePerKind() throws Exception {
        Logger log = Logger.getLogger("GuardTest.guarded");
        Logged logged = Logged.by(log.getName());
        List<LogRecord> records = logged.records();
        log.setUseParentHandlers(false);
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger rounds = new AtomicInteger();
            ex.scheduleAtFixedRate(
                    Guard.round(log, "the test round", failingFirst(rounds)), 0, 5, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> rounds.get() >= 10);
            assertThat(records).hasSize(2).allMatch(r -> r.getLevel() == Level.SEVERE);
            assertThat(records.get(0).getThrown()).isInstanceOf(OutOfMemoryError.class);
            assertThat(records.get(1).getThrown()).isInstanceOf(StackOverflowError.class);
        } finally {
            ex.shutdownNow();
            logged.close();
        }
    }

    @Test
    void anUnguardedRoundEndsAtTheFirstError() throws Exception {
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger rounds = new AtomicInteger();
            ScheduledFuture<?> f = ex.scheduleAtFixedRate(failingFirst(rounds), 0, 5, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(10)).until(f::isDone);
            assertThat(rounds.get()).isEqualTo(1); // the JDK's rule the guard exists for
        } finally {
            ex.shutdownNow();
        }
    }
}
