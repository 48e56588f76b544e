package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The embedded backend's memory of idempotent writes: once per key, refused for another request, bounded. */
class IdempotencyMemoryTest {
    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger runs = new AtomicInteger();

    private IdempotencyMemory.Write<Integer> count() {
        return runs::incrementAndGet;
    }

    @Test
    void oncePerKeyAndRequest() throws LiveQueryException {
        IdempotencyMemory m = new IdempotencyMemory(1_000, 10, now::get);
        assertThat(m.run("k", "d1", count())).isEqualTo(1);
        assertThat(m.run("k", "d1", count())).isEqualTo(1);
        assertThatThrownBy(() -> m.run("k", "d2", count()))
                .isInstanceOfSatisfying(
                        LiveQueryException.class,
                        e -> assertThat(e.code()).isEqualTo(LiveQueryException.Code.IDEMPOTENCY_KEY_REUSED));
        assertThat(runs).hasValue(1);
    }

    @Test
    void aRefusedWriteIsNotRemembered() throws LiveQueryException {
        IdempotencyMemory m = new IdempotencyMemory(1_000, 10, now::get);
        assertThatThrownBy(() -> m.run("k", "d1", () -> {
                    throw new LiveQueryException(LiveQueryException.Code.NOT_FOUND, "no");
                }))
                .isInstanceOf(LiveQueryException.class);
        assertThat(m.size()).isZero();
        assertThat(m.run("k", "d2", count())).isEqualTo(1); // another request may take the key now
    }

    @Test
    void keysExpireAfterTheirTimeAndThePastCapEvictsTheOldest() throws LiveQueryException {
        IdempotencyMemory m = new IdempotencyMemory(1_000, 3, now::get);
        m.run("a", "d", count());
        now.set(500);
        m.run("b", "d", count());
        now.set(1_000); // a has lived its time
        m.run("c", "d", count());
        assertThat(m.size()).isEqualTo(2);
        assertThat(m.run("a", "d", count())).isEqualTo(4); // forgotten: runs again
        m.run("e", "d", count()); // over the cap of 3: b (the oldest) goes
        assertThat(m.size()).isEqualTo(3);
        assertThat(m.run("b", "other", count())).isEqualTo(6);
    }

    /** A retry that arrives while the first attempt runs waits for it and answers its result. */
    @Test
    void anOverlappingRetryWaitsForTheFirstAttempt() throws Exception {
        IdempotencyMemory m = new IdempotencyMemory(1_000_000_000L, 10, System::nanoTime);
        CountDownLatch inWrite = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> {
            try {
                return m.run("k", "d", () -> {
                    inWrite.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return runs.incrementAndGet();
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        inWrite.await();
        AtomicReference<Integer> second = new AtomicReference<>();
        Thread retry = new Thread(() -> {
            try {
                second.set(m.run("k", "d", count()));
            } catch (LiveQueryException e) {
                throw new IllegalStateException(e);
            }
        });
        retry.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (retry.getState() != Thread.State.BLOCKED && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(retry.getState()).isEqualTo(Thread.State.BLOCKED);
        release.countDown();
        retry.join(30_000);
        assertThat(first.get()).isEqualTo(1);
        assertThat(second.get()).isEqualTo(1);
        assertThat(runs).hasValue(1);
    }

    @Test
    void theEmbeddedBackendAppliesARetryOnce() throws LiveQueryException {
        try (LocalBackend b = new LocalBackend(EngineOptions.defaults())) {
            ObjectNode row = Json.MAPPER.createObjectNode().put("n", 1);
            WriteResult w1 = b.idempotent("k", "put r 1").put("t", "r", row, null);
            WriteResult w2 = b.idempotent("k", "put r 1").put("t", "r", row, null);
            assertThat(w2).isEqualTo(w1);
            assertThat(b.get("t", "r").version()).isEqualTo(w1.version());
            assertThatThrownBy(() -> b.idempotent("k", "delete r").delete("t", "r", null))
                    .isInstanceOf(LiveQueryException.class);
            assertThat(b.get("t", "r").version()).isEqualTo(w1.version());
        }
    }
}
