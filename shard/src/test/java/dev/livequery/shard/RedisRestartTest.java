package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Priority 4: Redis restarts. With AOF the data survives: subscribers go stale, then live, and
 * catch up by resume. Without it the history is gone: subscribers get {@code reset epoch} and
 * converge on the new data.
 */
@Cluster
class RedisRestartTest {
    @Test
    void restartWithAofThenDataLoss() throws Exception {
        try (RedisProcess redis = RedisProcess.start(true);
                Shard shard = new Shard(
                        new Shard.Config("rs", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                        new SimpleMeterRegistry())) {
            shard.start();
            RedisBackend a = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwR1", new SimpleMeterRegistry());
            RedisBackend b = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwR2", new SimpleMeterRegistry());
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> a.ready() && b.ready());
                for (int i = 0; i < 20; i++) {
                    a.put("docs", "d" + i, row("{\"rank\":" + i + "}"), null);
                }
                Query q = query("{\"table\":\"docs\",\"order\":[{\"field\":\"rank\",\"dir\":\"desc\"}],\"limit\":6}");
                List<Client> cs = new ArrayList<>(List.of(
                        new Client(a.subscribe(q, null, () -> {})), new Client(b.subscribe(q, null, () -> {}))));
                converge(cs, a, q);

                // 1. Redis dies and comes back with its AOF.
                redis.kill();
                await().atMost(Duration.ofSeconds(10))
                        .until(() ->
                                cs.stream().allMatch(c -> c.poll().statuses().contains("stale")));
                redis.launch();
                await().atMost(Duration.ofSeconds(10))
                        .until(() ->
                                cs.stream().allMatch(c -> c.poll().statuses().contains("live")));
                a.put("docs", "d100", row("{\"rank\":100}"), null);
                b.delete("docs", "d19", null);
                converge(cs, a, q);
                for (Client c : cs) {
                    assertThat(c.resets())
                            .as("AOF kept the history: resume, no reset")
                            .containsExactly("subscribe");
                }

                // 2. Redis dies and comes back empty: a new epoch.
                redis.kill();
                redis.wipe();
                redis.launch();
                await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
                    a.put("docs", "n1", row("{\"rank\":5}"), null);
                    return true;
                });
                await().atMost(Duration.ofSeconds(15))
                        .until(() -> cs.stream().allMatch(c -> c.poll().resets().contains("epoch")));
                converge(cs, a, q);
                System.out.println("restart: resets " + cs.get(0).resets() + " / "
                        + cs.get(1).resets() + ", statuses " + cs.get(0).statuses());
            } finally {
                a.close();
                b.close();
            }
        }
    }

    /** Redis comes back with fewer writes than the shard saw (a lost AOF tail): new epoch, no silent reuse. */
    @Test
    void lostAcknowledgedWritesStartANewEpoch() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard = new Shard(
                        new Shard.Config("rg", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                        new SimpleMeterRegistry());
                RedisBackend a = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwL", new SimpleMeterRegistry());
                dev.livequery.redis.store.Redis direct =
                        dev.livequery.redis.store.Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            await().atMost(Duration.ofSeconds(10)).until(a::ready);
            for (int i = 0; i < 10; i++) {
                a.put("lost", "l" + i, row("{\"k\":" + i + "}"), null);
            }
            Query q = query("{\"table\":\"lost\",\"order\":[{\"field\":\"k\"}],\"limit\":4}");
            List<Client> cs = List.of(new Client(a.subscribe(q, null, () -> {})));
            converge(cs, a, q);
            // Emulate a Redis that lost its last 3 writes: counter and stream go back.
            int p = dev.livequery.redis.store.Keys.partition("lost");
            direct.cmd().decrby(dev.livequery.redis.store.Keys.seq(p, "lost"), 3);
            a.put("lost", "l0", row("{\"k\":-1}"), null); // reuses version 8 for a different change
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> cs.get(0).poll().resets().contains("epoch"));
            converge(cs, a, q);
        }
    }

    static void converge(List<Client> cs, RedisBackend truthFrom, Query q) {
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    for (Client c : cs) {
                        assertThat(c.poll().window()).isEqualTo(truth(truthFrom, q));
                        assertThat(c.ready()).isTrue();
                    }
                });
    }
}
