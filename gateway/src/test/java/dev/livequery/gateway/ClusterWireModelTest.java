package dev.livequery.gateway;

import dev.livequery.core.EngineOptions;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisCluster;
import dev.livequery.testkit.process.RedisProcess;
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
        List<TestGateway> gateways = new ArrayList<>();
        EngineOptions shardOptions = EngineOptions.defaults().withHorizon(10_000, Duration.ofMinutes(5), 1_000_000);
        try (InProcessShards shards = new InProcessShards(uri, prefix, 3, shardOptions)) {
            try {
                for (int i = 1; i <= 2; i++) {
                    gateways.add(TestGateway.over(
                            InProcessShards.backend(uri, prefix + "-gw" + i), InProcessShards.GATEWAY_SETTINGS));
                }
                shards.awaitServing(gateways.stream().map(g -> g.backend).toList());
                new WireModel(gateways.stream().map(g -> g.port).toList(), WireModel.seed(), Duration.ofSeconds(30))
                        .run();
            } finally {
                gateways.forEach(TestGateway::close);
            }
        }
    }
}
