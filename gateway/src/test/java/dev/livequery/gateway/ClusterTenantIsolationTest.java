package dev.livequery.gateway;

import dev.livequery.core.EngineOptions;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link TenantIsolationTest} against the cluster: two jwt gateways over the redis backend and two
 * shards on one real redis-server; clients, writes and reconnects spread over both gateways, so the
 * filter travels to the shards as part of the shape and resumes cross gateways.
 */
@Cluster
class ClusterTenantIsolationTest {
    @Test
    void twoGatewaysTwoShards() throws Exception {
        List<AuthGateway> gateways = new ArrayList<>();
        EngineOptions shardOptions =
                EngineOptions.defaults().withSecret(AuthGateway.MAC_SECRET.getBytes(StandardCharsets.UTF_8));
        try (RedisProcess redis = RedisProcess.start(false);
                InProcessShards shards = new InProcessShards(redis.uri(), "ti", 2, shardOptions)) {
            try {
                for (int i = 1; i <= 2; i++) {
                    gateways.add(AuthGateway.over(
                            InProcessShards.backend(redis.uri(), "ti-gw" + i), InProcessShards.GATEWAY_SETTINGS));
                }
                shards.awaitServing(gateways.stream().map(g -> g.backend).toList());
                new TenantIsolationTest().seeded(gateways, 150);
            } finally {
                gateways.forEach(AuthGateway::close);
            }
        }
    }
}
