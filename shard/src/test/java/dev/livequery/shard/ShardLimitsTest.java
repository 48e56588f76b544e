package dev.livequery.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.LiveQueryException;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The shard process honours {@code livequery.limits.max-views} like a gateway does: in cluster mode
 * views live on shards, so the cap has to be enforced there (PROTOCOL §8; docs/protocol.md).
 */
@Cluster
class ShardLimitsTest {
    @Test
    void maxViewsIsEnforcedByTheShardProcess() throws Exception {
        for (int cap : new int[] {1, 1000}) {
            try (RedisProcess redis = RedisProcess.start(false);
                    ShardProcess shard = ShardProcess.start(
                            "lim" + cap, redis.uri(), Duration.ofSeconds(3), "--max-views", String.valueOf(cap));
                    RedisBackend gw =
                            new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwL", new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(20)).until(gw::ready);
                gw.put("t", "a", Fixtures.row("{\"x\":1}"), null);
                var first = gw.subscribe(Fixtures.query("{\"table\":\"t\",\"limit\":5}"), null, () -> {});
                var second = Fixtures.query("{\"table\":\"t\",\"where\":{\"x\":1},\"limit\":5}");
                if (cap == 1) {
                    assertThatThrownBy(() -> gw.subscribe(second, null, () -> {}))
                            .isInstanceOf(LiveQueryException.class)
                            .extracting(e -> ((LiveQueryException) e).code())
                            .isEqualTo(LiveQueryException.Code.TOO_MANY_SUBS);
                } else {
                    assertThat(gw.subscribe(second, null, () -> {})).isNotNull();
                }
                first.close();
            }
        }
    }

    /** And {@code livequery.limits.max-view-rows} ({@code --max-view-rows}), per partition's engine. */
    @Test
    void maxViewRowsIsEnforcedByTheShardProcess() throws Exception {
        for (long cap : new long[] {1, 20_000_000}) {
            try (RedisProcess redis = RedisProcess.start(false);
                    ShardProcess shard = ShardProcess.start(
                            "rows" + cap, redis.uri(), Duration.ofSeconds(3), "--max-view-rows", String.valueOf(cap));
                    RedisBackend gw =
                            new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwR", new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(20)).until(gw::ready);
                gw.put("t", "a", Fixtures.row("{\"x\":1}"), null);
                gw.put("t", "b", Fixtures.row("{\"x\":2}"), null);
                var two = Fixtures.query("{\"table\":\"t\",\"limit\":5}");
                if (cap == 1) {
                    assertThatThrownBy(() -> gw.subscribe(two, null, () -> {}))
                            .isInstanceOf(LiveQueryException.class)
                            .hasMessageContaining("livequery.limits.max-view-rows")
                            .extracting(e -> ((LiveQueryException) e).code())
                            .isEqualTo(LiveQueryException.Code.TOO_MANY_SUBS);
                } else {
                    gw.subscribe(two, null, () -> {}).close();
                }
            }
        }
    }
}
