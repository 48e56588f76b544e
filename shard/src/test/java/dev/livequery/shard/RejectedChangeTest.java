package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A change in the stream that the shard's engine refuses (here a row id with a control character,
 * written past the gateway's checks) must not leave windows behind the stream without a word.
 * It is the table's last write, so no later change reveals a gap: the window has to get it (or a
 * reset to the state Redis holds) on its own.
 */
@Cluster
class RejectedChangeTest {
    /** A row id the engine refuses (PROTOCOL §1: no control characters). */
    static final String BAD = "b\u0007";

    static final Query Q = query("{\"table\":\"rj\",\"limit\":10}");

    @Test
    void aChangeTheEngineRefusesIsNotSkippedSilently() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard = new Shard(
                        new Shard.Config("rj1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                        new SimpleMeterRegistry());
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwJ", new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gw.ready() && shard.owned().size() == 256);
            gw.put("rj", "a", row("{\"n\":1}"), null);
            Client c = new Client(gw.subscribe(Q, null, () -> {}));
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> c.poll().ready() && c.window().size() == 1);

            // Past the gateway's checks, straight into the store: the engine refuses this row.
            RowStore store = new RowStore(direct, Fixtures.OPTIONS);
            List<Long> v = store.write("rj", List.of(new RowStore.Op(BAD, row("{\"n\":2}"), null)));

            // Redis holds a and b: the window must come to show both (or be reset to them).
            await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(c.poll().window())
                            .containsExactly(new Client.Item("a", 1), new Client.Item(BAD, v.get(0))));
            // ... told by a reset: the reloaded table has no history through the refused change.
            assertThat(c.resets()).containsExactly("subscribe", "failover");
            assertThat(c.violations()).isEmpty();
        }
    }
}
