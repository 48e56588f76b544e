package dev.livequery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ClientLoadTest {
    @Test
    void aBusyCallbackExecutorShowsAsLag() throws Exception {
        ExecutorService one = Executors.newSingleThreadExecutor();
        CountDownLatch release = new CountDownLatch(1);
        try (ClientLoad load = new ClientLoad(one)) {
            long blockedAt = System.nanoTime();
            one.execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            // hold the executor for 300 ms (the length of the stall under test), then let the probes through
            Thread.sleep(300);
            release.countDown();
            assertThat(System.nanoTime() - blockedAt).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
            Histogram seen = new Histogram(3);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seen.getMaxValue() < 200_000 && System.nanoTime() < deadline) {
                seen.add(load.lagInterval());
                Thread.sleep(20); // poll interval
            }
            assertThat(seen.getMaxValue())
                    .as("µs a probe waited behind the blocked task")
                    .isGreaterThanOrEqualTo(200_000);
        } finally {
            one.shutdownNow();
        }
        assertThat(ClientLoad.cpuSeconds()).isPositive();
    }
}
