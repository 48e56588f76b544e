package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A control request whose shard never reads it (the shard crashed or restarted with it unread,
 * or its control stream was deleted) is never answered. The gateway must give it up: a request
 * kept waiting holds its subscription, and through it the client's connection, for as long as the
 * gateway runs, one more for every subscribe tried while the shard was down.
 */
@Cluster
class UnansweredRequestTest {
    @Test
    void aRequestNoShardAnswersIsGivenUp() throws Exception {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        try (RedisProcess redis = RedisProcess.start(false);
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            // A shard that looks alive and owns every partition, but reads nothing.
            new Membership(direct).heartbeat("mute", 600_000);
            try (RedisBackend gw = new RedisBackend(EngineOptions.defaults(), redis.uri(), "gwU", metrics)) {
                Query q = Query.parse(Json.MAPPER.readTree("{\"table\":\"t\",\"limit\":5}"));
                assertThatThrownBy(() -> gw.subscribe(q, null, () -> {}))
                        .isInstanceOf(LiveQueryException.class)
                        .hasMessageContaining("did not answer in time");
                assertThat(direct.cmd().xlen(Keys.control("mute")))
                        .as("the subscribe was sent")
                        .isPositive();
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> metrics.get("livequery_gateway_control_pending")
                                        .tag("gateway", "gwU")
                                        .gauge()
                                        .value()
                                == 0);
            }
        }
    }
}
