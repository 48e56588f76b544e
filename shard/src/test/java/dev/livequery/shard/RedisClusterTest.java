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
import dev.livequery.testkit.process.RedisCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Priority 5: the same code on a 3-node Redis Cluster (Lettuce RedisClusterClient). */
@Cluster
class RedisClusterTest {
    @Test
    void writeOnASeenOnBOverRedisCluster() throws Exception {
        try (RedisCluster cluster = RedisCluster.start()) {
            String uri = cluster.uri();
            try (Shard shard = new Shard(
                            new Shard.Config("c1", uri, Fixtures.OPTIONS, 2000, 10_000), new SimpleMeterRegistry());
                    RedisBackend a = new RedisBackend(Fixtures.OPTIONS, uri, "gwCA", new SimpleMeterRegistry());
                    RedisBackend b = new RedisBackend(Fixtures.OPTIONS, uri, "gwCB", new SimpleMeterRegistry())) {
                shard.start();
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> a.ready() && b.ready() && shard.owned().size() == 256);
                List<Client> cs = new ArrayList<>();
                List<Query> qs = new ArrayList<>();
                for (String t : List.of("alpha", "beta", "gamma")) { // different partitions, so different nodes
                    for (int i = 0; i < 10; i++) {
                        a.put(t, "r" + i, row("{\"n\":" + i + "}"), null);
                    }
                    Query q = query(
                            "{\"table\":\"" + t + "\",\"order\":[{\"field\":\"n\",\"dir\":\"desc\"}],\"limit\":4}");
                    cs.add(new Client(b.subscribe(q, null, () -> {})));
                    qs.add(q);
                    a.put(t, "r20", row("{\"n\":20}"), null);
                    a.delete(t, "r9", null);
                    a.patch(t, "r0", row("{\"n\":15}"), null);
                }
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                    for (int i = 0; i < cs.size(); i++) {
                        assertThat(cs.get(i).poll().window()).isEqualTo(truth(a, qs.get(i)));
                    }
                });
                for (Client c : cs) {
                    assertThat(c.resets()).containsExactly("subscribe");
                }
            }
        }
    }
}
