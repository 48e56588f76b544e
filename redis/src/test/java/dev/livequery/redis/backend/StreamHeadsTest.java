package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisCluster;
import dev.livequery.testkit.process.RedisProcess;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The heads of partitions' change streams, in one round trip, on a standalone Redis and a Redis Cluster. */
@Cluster
class StreamHeadsTest {
    @Test
    void standalone() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            check(redis);
        }
    }

    @Test
    void redisCluster() throws Exception {
        try (RedisCluster c = RedisCluster.start();
                Redis redis = Redis.connect(c.uri(), Duration.ofSeconds(2))) {
            check(redis);
        }
    }

    private static void check(Redis redis) {
        redis.cmd().xadd(Keys.changes(1), Map.of("a", "1"));
        String last1 = redis.cmd().xadd(Keys.changes(1), Map.of("a", "2"));
        String last200 = redis.cmd().xadd(Keys.changes(200), Map.of("a", "3"));
        assertThat(new StreamHeads(redis).read(List.of(1, 17, 200))).isEqualTo(Arrays.asList(last1, null, last200));
        assertThat(new StreamHeads(redis).read(List.of())).isEmpty();
    }
}
