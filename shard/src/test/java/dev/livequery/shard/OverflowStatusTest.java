package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Logged;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.TcpProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * A slow client (it does not read) whose window was told {@code status stale} while its gateway
 * was cut off from Redis, then {@code live} when the link came back, overflows before it reads
 * that {@code live} (PROTOCOL §6: its queue is replaced by {@code reset overflow} and a fresh
 * snapshot). The gateway tells each status once, so the {@code live} must survive the overflow:
 * dropped with the frames, the client would show its window stale for good although it is exact.
 */
@Cluster
class OverflowStatusTest {
    static final Query Q = query("{\"table\":\"ov\",\"order\":[{\"field\":\"n\"}],\"limit\":5}");
    static final int MAX_QUEUED = 40;

    @Test
    void aLiveToldBeforeAnOverflowReachesTheSlowClient() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard = new Shard(
                        new Shard.Config("ov1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                        new SimpleMeterRegistry());
                TcpProxy link = new TcpProxy(redis.port);
                RedisBackend gw = new RedisBackend(
                        Fixtures.OPTIONS.withMaxQueued(MAX_QUEUED), link.uri(), "gwV", new SimpleMeterRegistry());
                RedisBackend writer =
                        new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwVW", new SimpleMeterRegistry());
                Logged reader = Logged.by("dev.livequery.redis.backend.DeliveryReader")) {
            shard.start();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gw.ready() && writer.ready() && shard.owned().size() == 256);
            for (int i = 0; i < 10; i++) {
                writer.put("ov", "r" + i, row("{\"n\":" + i + "}"), null);
            }
            Client c = new Client(gw.subscribe(Q, null, () -> {}));
            NeverSilentTest.converge(c, writer, Q);

            link.cut();
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> c.poll().staleNow()); // the client has read "stale"
            link.heal();
            // Nothing was written meanwhile: what the gateway queues for the client first is "live".
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> c.sub.queued() > 0);
            // The client reads nothing while changes (an enter and a leave each) overflow its queue.
            for (int i = 0; i < MAX_QUEUED; i++) {
                writer.put("ov", "x" + i, row("{\"n\":" + (-1 - i) + "}"), null);
            }
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> reader.messages(Level.INFO).stream().anyMatch(m -> m.contains("overflowed")));

            NeverSilentTest.converge(c, writer, Q);
            assertThat(c.resets()).contains("overflow");
            assertThat(c.violations()).isEmpty();
            await().atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(c.poll().statuses())
                            .as("what the client was last told of its exact window")
                            .endsWith("live"));
        }
    }
}
