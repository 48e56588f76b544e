package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.EngineOptions;
import dev.livequery.redis.store.Keys;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.GatewayProcess;
import dev.livequery.testkit.process.RedisProcess;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code livequery.gateway.id}: a real gateway process registers under the configured id, not a random one. */
@Cluster
class GatewayIdTest {
    @Test
    void aConfiguredIdNamesTheGatewaysKeysInRedis() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard = new Shard(
                        new Shard.Config("gid1", redis.uri(), EngineOptions.defaults(), 2000, 10_000),
                        new SimpleMeterRegistry())) {
            shard.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> shard.owned().size() == 256);
            check(redis);
        }
    }

    private static void check(RedisProcess redis) throws Exception {
        try (GatewayProcess gw = GatewayProcess.start(redis.uri(), Map.of("LIVEQUERY_GATEWAY_ID", "gw-fixed"))) {
            RedisClient client = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                await().atMost(Duration.ofSeconds(20)).until(() -> c.sync().exists(Keys.gatewayAlive("gw-fixed")) == 1);
                assertThat(c.sync().keys(Keys.gatewayAlive("*"))).containsExactly(Keys.gatewayAlive("gw-fixed"));
            } finally {
                client.shutdown();
            }
        }
    }
}
