package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The Watcher's ticks outlive an Error; an unguarded tick is cancelled for good by the first. */
class GuardedRoundTest {

    /** Throws OutOfMemoryError in ticks 1 and 2, then runs. */
    private static Runnable failingFirst(AtomicInteger ticks) {
        return () -> {
            if (ticks.incrementAndGet() <= 2) {
                throw new OutOfMemoryError("tick " + ticks.get());
            }
        };
    }

    @Test
    void aGuardedTickRunsOnAfterAnErrorLoggedOnce() {
        Logger log = Logger.getLogger("GuardedRoundTest");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        log.setUseParentHandlers(false);
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger ticks = new AtomicInteger();
            ex.scheduleWithFixedDelay(
                    GuardedRound.of(log, "the test tick", failingFirst(ticks)), 0, 5, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> ticks.get() >= 6);
            assertThat(records).hasSize(1);
            assertThat(records.get(0).getLevel()).isEqualTo(Level.SEVERE);
        } finally {
            ex.shutdownNow();
            log.removeHandler(h);
        }
    }

    @Test
    void anUnguardedTickEndsAtTheFirstError() {
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger ticks = new AtomicInteger();
            ScheduledFuture<?> f = ex.scheduleWithFixedDelay(failingFirst(ticks), 0, 5, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(10)).until(f::isDone);
            assertThat(ticks.get()).isEqualTo(1);
        } finally {
            ex.shutdownNow();
        }
    }
}
