package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.TcpProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A gateway is cut off until its heartbeat expires: the shard presumes it dead, closes its
 * attachments and forgets the delivery sequence it kept for it (a shard would otherwise keep one
 * for every gateway process that ever existed). The gateway is alive all the same and comes back
 * under the same id: its window must catch up, with resume, and no delivery may be lost on the
 * way; the shard's new sequence for it shows to the gateway as a gap, which it repairs, and never
 * as entries it already had.
 */
@Cluster
class PresumedDeadGatewayTest {
    @Test
    void aGatewayPresumedDeadIsForgottenAndStillServedWhenItComesBack() throws Exception {
        SimpleMeterRegistry shardMetrics = new SimpleMeterRegistry();
        SimpleMeterRegistry gwMetrics = new SimpleMeterRegistry();
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard =
                        new Shard(new Shard.Config("pd1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000), shardMetrics);
                TcpProxy link = new TcpProxy(redis.port);
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, link.uri(), "gwPd", gwMetrics);
                RedisBackend writer =
                        new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwPdWriter", new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gw.ready() && writer.ready() && shard.owned().size() == 256);
            NeverSilentTest.seed(writer, 8);
            Client c = new Client(gw.subscribe(NeverSilentTest.Q, null, () -> {}));
            NeverSilentTest.converge(c, writer, NeverSilentTest.Q);
            assertThat(sequences(shardMetrics)).as("the subscriber's gateway").isEqualTo(1.0);

            // Cut off, and its heartbeat gone (as 15 s later it would expire; the writer's stays).
            link.cut();
            direct.cmd().del(Keys.gatewayAlive("gwPd"));
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> sequences(shardMetrics) == 0.0);
            for (int i = 0; i < 3; i++) {
                writer.put("ns", "while" + i, row("{\"n\":" + (-10 - i) + "}"), null);
            }

            // Back under the same id: its heartbeat finds itself presumed dead and it re-attaches.
            link.heal();
            NeverSilentTest.converge(c, writer, NeverSilentTest.Q);
            for (int i = 0; i < 3; i++) {
                writer.put("ns", "after" + i, row("{\"n\":" + (-20 - i) + "}"), null);
            }
            NeverSilentTest.converge(c, writer, NeverSilentTest.Q);
            assertThat(sequences(shardMetrics))
                    .as("a sequence again, for the returned gateway")
                    .isEqualTo(1.0);
            assertThat(gwMetrics
                            .get("livequery_gateway_delivery_gaps")
                            .counter()
                            .count())
                    .as("the shard's new sequence was seen as a gap (and repaired), not as old entries")
                    .isGreaterThanOrEqualTo(1.0);
            assertThat(c.resets()).as("resumed, not reset").containsExactly("subscribe");
            assertThat(c.violations()).isEmpty();
        }
    }

    private static double sequences(SimpleMeterRegistry shardMetrics) {
        return shardMetrics.get("livequery_shard_delivery_gateways").gauge().value();
    }
}
