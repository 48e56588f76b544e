package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.EngineOptions;
import dev.livequery.core.LocalBackend;
import dev.livequery.testkit.Logged;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The state changes of a source that is not started (no Postgres needed), made from the threads
 * that make them in a running source.
 */
class PostgresSourceStateTest {
    PostgresSource src;

    @BeforeEach
    void source() throws Exception {
        src = new PostgresSource(
                PostgresSourceFrozenTest.config("jdbc:postgresql://127.0.0.1:1/postgres"),
                new LocalApplier(new LocalBackend(EngineOptions.defaults())),
                "state-test");
    }

    @AfterEach
    void close() {
        src.close();
    }

    /**
     * A record heard (the engine's thread says streaming) while the source fails on another: it
     * stays failed. The source's monitor, the lock its state changes take, is held here while both
     * are under way, so that the record's check comes before the failure and its set after it
     * unless the check is made under the lock.
     */
    @Test
    void aSourceThatFailsWhileARecordIsHeardStaysFailed() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            synchronized (src) {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        holder.start();
        held.await();
        Thread engine = new Thread(src::streaming);
        engine.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.getState() == Thread.State.BLOCKED);
        Thread failing = new Thread(() -> src.fail("source_slot_lost: test", null));
        failing.start();
        await().atMost(Duration.ofSeconds(10))
                .until(() ->
                        failing.getState() == Thread.State.BLOCKED || failing.getState() == Thread.State.TERMINATED);
        release.countDown();
        holder.join();
        engine.join();
        failing.join();

        assertThat(src.state()).isEqualTo(PostgresSource.State.FAILED);
        assertThat(src.ready()).isFalse();
        assertThat(src.health()).containsEntry("state", "failed");
    }

    /**
     * The slot found lost (the watch's look during a silence), then a batch failing as the engine
     * stops, after the source failed otherwise: the first failure stands, said once.
     */
    @Test
    void aSourceThatFailedIsNotFailedAgainByTheSlotLoss() {
        Logged logged = Logged.by(PostgresSource.class);
        try {
            src.fail("could not apply a change: test", null);
            src.failAndStop("source_slot_lost: replication slot livequery was dropped: test");
            src.fail("could not apply a change: a batch applied as the engine stops", null);
        } finally {
            logged.close();
        }
        assertThat(logged.messages(Level.SEVERE)).singleElement().asString().contains("could not apply");
        assertThat(src.error()).isEqualTo("could not apply a change: test");
        assertThat(src.state()).isEqualTo(PostgresSource.State.FAILED);
    }
}
