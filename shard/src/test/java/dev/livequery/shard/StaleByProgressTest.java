package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Redis;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.TcpProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A window the progress check made stale while its shard keeps ticking must be re-attached, not
 * left stale for good. The tick's count of our attachments finds an attachment the shard dropped
 * without a word, but only while nothing fills the gap: here a quiet window whose unsubscribe was
 * lost (the gateway's link was down when it closed; a quiet attachment never sends a frame that
 * would get it dropped as a stray) stays hosted, so the count matches after the drop. The shard
 * then ticks on without reporting the dropped window's partition, the progress check tells it
 * stale, and only a re-attach can bring it back.
 */
@Cluster
class StaleByProgressTest {
    /** Its own partition (qt: 109, ns: 80), and no writes go to it: it never sends a frame. */
    static final Query QUIET = query("{\"table\":\"qt\",\"order\":[{\"field\":\"n\"}],\"limit\":3}");

    static final Query Q = NeverSilentTest.Q;

    @Test
    void aWindowStaleByTheProgressCheckIsReattachedWhileItsShardTicks() throws Exception {
        SimpleMeterRegistry shardMetrics = new SimpleMeterRegistry();
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard =
                        new Shard(new Shard.Config("sp1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000), shardMetrics);
                TcpProxy link = new TcpProxy(redis.port);
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, link.uri(), "gwS", new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gw.ready() && shard.owned().size() == 256);
            NeverSilentTest.seed(gw, 8);
            Subscription quiet = gw.subscribe(QUIET, null, () -> {});
            Client c = new Client(gw.subscribe(Q, null, () -> {}));
            NeverSilentTest.converge(c, gw, Q);
            await().atMost(Duration.ofSeconds(5)).until(() -> hosted(shardMetrics) == 2);

            // The quiet window is closed while the gateway's link is down: its unsubscribe is lost.
            link.cut();
            quiet.close();
            link.heal();
            // Once the gateway has reconnected, a write it makes reaches the window as before.
            await().atMost(Duration.ofSeconds(10))
                    .ignoreExceptions()
                    .until(() -> gw.put("ns", "mid", row("{\"n\":-100}"), null) != null);
            NeverSilentTest.converge(c, gw, Q);
            assertThat(hosted(shardMetrics))
                    .as("the quiet window's attachment stays on the shard")
                    .isEqualTo(2);

            // The shard drops Q's attachment and no "gone" reaches the gateway (as in
            // NeverSilentTest#anAttachmentDroppedWithoutAWordIsRepaired). It still hosts one
            // attachment of ours, as many as we hold: its ticks go on and their count matches.
            NeverSilentTest.dropWithoutAWord(direct, "gwS", "sp1");
            await().atMost(Duration.ofSeconds(5)).until(() -> hosted(shardMetrics) == 1);
            for (int i = 0; i < 5; i++) {
                gw.put("ns", "late" + i, row("{\"n\":" + (-i) + "}"), null);
            }
            // The progress check tells the window stale (the owner never reports applying them) ...
            await().atMost(Duration.ofSeconds(6))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> c.poll().staleNow());
            // ... and the gateway re-attaches it with resume: live, and equal to the truth.
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> {
                        assertThat(c.poll().staleNow()).isFalse();
                        assertThat(c.window()).isEqualTo(truth(gw, Q));
                    });
            assertThat(c.statuses()).containsExactly("stale", "live");
            assertThat(c.resets()).containsExactly("subscribe");
            assertThat(c.violations()).isEmpty();
        }
    }

    private static double hosted(SimpleMeterRegistry shardMetrics) {
        return shardMetrics.get("livequery_shard_subscriptions").gauge().value();
    }
}
