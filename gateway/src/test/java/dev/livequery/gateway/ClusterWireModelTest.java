package dev.livequery.gateway;

import static org.awaitility.Awaitility.await;

import dev.livequery.core.EngineOptions;
import dev.livequery.redis.RedisCluster;
import dev.livequery.redis.RedisProcess;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The randomized wire-level model ({@link WireModel}) against the cluster: two gateways with the
 * redis backend and three shards over one real redis-server, and again over a real 3-node Redis
 * Cluster. Clients connect to both gateways and reconnect to either (resume tokens are valid on
 * any gateway); writes go through either.
 *
 * <p>Nothing is killed here, so the gateways and shards run in this JVM (real HTTP/WS/SSE servers
 * on loopback ports, real Redis): that keeps the test cheap on a 2-core CI machine. The kill
 * scenarios are {@link GatewayKillTest} and the shard module's FailoverTest, with separate JVMs.
 */
@Cluster
class ClusterWireModelTest {
    @Test
    void twoGatewaysThreeShardsOneRedis() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            run(redis.uri(), "wm");
        }
    }

    @Test
    void twoGatewaysThreeShardsRedisCluster() throws Exception {
        try (RedisCluster cluster = RedisCluster.start()) {
            run(cluster.uri(), "wc");
        }
    }

    private static void run(String uri, String prefix) throws Exception {
        List<Shard> shards = new ArrayList<>();
        List<TestGateway> gateways = new ArrayList<>();
        try {
            EngineOptions shardOptions = EngineOptions.defaults().withHorizon(10_000, Duration.ofMinutes(5), 1_000_000);
            for (int i = 1; i <= 3; i++) {
                Shard s = new Shard(
                        new Shard.Config(prefix + "-s" + i, uri, shardOptions, 2000, 10_000),
                        new SimpleMeterRegistry());
                shards.add(s);
                s.start();
            }
            for (int i = 1; i <= 2; i++) {
                String id = prefix + "-gw" + i;
                gateways.add(TestGateway.over(
                        s -> new RedisBackend(s.engineOptions(), uri, id, new SimpleMeterRegistry()),
                        "livequery.backend",
                        "redis",
                        "livequery.limits.max-queued",
                        "64",
                        "livequery.limits.max-window",
                        "62"));
            }
            await("3 shards own all partitions, both gateways see them")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> shards.stream().mapToInt(s -> s.owned().size()).sum() == 256
                            && gateways.stream()
                                    .allMatch(g -> g.backend.ready()
                                            && g.backend.gauges().get("live_shards") == 3));
            new WireModel(gateways.stream().map(g -> g.port).toList(), WireModel.seed(), Duration.ofSeconds(30)).run();
        } finally {
            gateways.forEach(TestGateway::close);
            shards.forEach(Shard::close);
        }
    }
}
