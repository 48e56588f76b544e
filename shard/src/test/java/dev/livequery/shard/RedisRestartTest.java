package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.shard.backend.RedisBackend;
import dev.livequery.shard.cluster.Shard;
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
class RedisRestartTest {
    @Test
    void restartWithAofThenDataLoss() throws Exception {
        try (RedisProcess redis = RedisProcess.start(true);
                Shard shard = new Shard(new Shard.Config("rs", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
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
                List<Client> cs = new ArrayList<>(List.of(new Client(a.subscribe(q, null, () -> { })),
                        new Client(b.subscribe(q, null, () -> { }))));
                converge(cs, a, q);

                // 1. Redis dies and comes back with its AOF.
                redis.kill();
                await().atMost(Duration.ofSeconds(10)).until(() -> cs.stream().allMatch(c -> c.poll().statuses.contains("stale")));
                redis.launch();
                await().atMost(Duration.ofSeconds(10)).until(() -> cs.stream().allMatch(c -> c.poll().statuses.contains("live")));
                a.put("docs", "d100", row("{\"rank\":100}"), null);
                b.delete("docs", "d19", null);
                converge(cs, a, q);
                for (Client c : cs) {
                    assertThat(c.resets).as("AOF kept the history: resume, no reset").containsExactly("subscribe");
                }

                // 2. Redis dies and comes back empty: a new epoch.
                redis.kill();
                redis.wipe();
                redis.launch();
                await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
                    a.put("docs", "n1", row("{\"rank\":5}"), null);
                    return true;
                });
                await().atMost(Duration.ofSeconds(15)).until(() -> cs.stream().allMatch(c -> c.poll().resets.contains("epoch")));
                converge(cs, a, q);
                System.out.println("restart: resets " + cs.get(0).resets + " / " + cs.get(1).resets
                        + ", statuses " + cs.get(0).statuses);
            } finally {
                a.close();
                b.close();
            }
        }
    }

    static void converge(List<Client> cs, RedisBackend truthFrom, Query q) {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (Client c : cs) {
                assertThat(c.poll().window()).isEqualTo(truth(truthFrom, q));
                assertThat(c.ready).isTrue();
            }
        });
    }
}
