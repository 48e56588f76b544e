package dev.livequery.core;

import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.ids;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A metrics scrape and a one-shot query of an unwatched shape do not take the table lock for
 * their whole work, so they neither wait for a write in progress nor hold writes up. A write is
 * held in progress here by a subscription wakeup that blocks (the wakeup runs under the table
 * lock, which is exactly why real wakeups must not block).
 */
class ReadsDoNotWaitForWritesTest {

    @Test
    void gaugesAndAScanOfAnUnwatchedShapeCompleteWhileAWriteHoldsTheTable() throws Exception {
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        for (int i = 0; i < 100; i++) {
            b.put("t", "r" + i, obj("{\"n\":" + i + ",\"k\":" + (i % 2) + "}"), null);
        }
        AtomicBoolean armed = new AtomicBoolean();
        CountDownLatch inWrite = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Subscription s = b.subscribe(query("{\"table\":\"t\",\"where\":{\"k\":0},\"limit\":5}"), null, () -> {
            if (armed.get()) {
                inWrite.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        drain(s);
        armed.set(true);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                b.put("t", "new", obj("{\"n\":-1,\"k\":0}"), null);
            } catch (LiveQueryException e) {
                throw new AssertionError(e);
            }
        });
        try {
            assertThat(inWrite.await(10, TimeUnit.SECONDS)).isTrue();
            var gauges = CompletableFuture.supplyAsync(b::gauges).get(5, TimeUnit.SECONDS);
            assertThat(gauges).containsEntry("rows", 101L).containsEntry("views", 1L);
            var r = CompletableFuture.supplyAsync(() -> {
                        try {
                            return b.query(query(
                                    "{\"table\":\"t\",\"where\":{\"k\":1},\"order\":[{\"field\":\"n\"}],\"limit\":2}"));
                        } catch (LiveQueryException e) {
                            throw new AssertionError(e);
                        }
                    })
                    .get(5, TimeUnit.SECONDS);
            assertThat(ids(r)).containsExactly("r1", "r3");
        } finally {
            release.countDown();
            writer.join();
        }
        assertThat(ids(b.query(
                        query("{\"table\":\"t\",\"where\":{\"k\":0},\"order\":[{\"field\":\"n\"}],\"limit\":1}"))))
                .containsExactly("new");
    }
}
