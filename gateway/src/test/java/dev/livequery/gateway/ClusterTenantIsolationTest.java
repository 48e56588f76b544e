package dev.livequery.gateway;

import static org.awaitility.Awaitility.await;

import dev.livequery.core.EngineOptions;
import dev.livequery.redis.RedisProcess;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.shard.cluster.Shard;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link TenantIsolationTest} against the cluster: two jwt gateways over the redis backend and two
 * shards on one real redis-server; clients, writes and reconnects spread over both gateways, so the
 * filter travels to the shards as part of the shape and resumes cross gateways.
 */
class ClusterTenantIsolationTest {
    @Test
    void twoGatewaysTwoShards() throws Exception {
        List<Shard> shards = new ArrayList<>();
        List<AuthGateway> gateways = new ArrayList<>();
        try (RedisProcess redis = RedisProcess.start(false)) {
            String uri = redis.uri();
            EngineOptions shardOptions =
                    EngineOptions.defaults().withSecret(AuthGateway.MAC_SECRET.getBytes(StandardCharsets.UTF_8));
            for (int i = 1; i <= 2; i++) {
                Shard s = new Shard(
                        new Shard.Config("ti-s" + i, uri, shardOptions, 2000, 10_000), new SimpleMeterRegistry());
                shards.add(s);
                s.start();
            }
            for (int i = 1; i <= 2; i++) {
                String id = "ti-gw" + i;
                gateways.add(AuthGateway.over(
                        s -> new RedisBackend(s.engineOptions(), uri, id, new SimpleMeterRegistry()),
                        "livequery.backend",
                        "redis",
                        "livequery.limits.max-queued",
                        "64",
                        "livequery.limits.max-window",
                        "62"));
            }
            await("2 shards own all partitions, both gateways see them")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> shards.stream().mapToInt(s -> s.owned().size()).sum() == 256
                            && gateways.stream()
                                    .allMatch(g -> g.backend.ready()
                                            && g.backend.gauges().get("live_shards") == 2));
            new TenantIsolationTest().seeded(gateways, 150);
        } finally {
            gateways.forEach(AuthGateway::close);
            shards.forEach(Shard::close);
        }
    }
}
