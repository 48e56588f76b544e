package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
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
 * A gateway with a stable id ({@code livequery.gateway.id}) crashes and comes back within its
 * heartbeat TTL: the shards keep the attachments of its earlier process (its id never looked
 * dead), and those of quiet windows never send a frame that would get them dropped as strays.
 * They must not count as attachments of the new process: the tick's count is what finds an
 * attachment the shard dropped without a word, and a leftover that fills the gap hides the drop,
 * leaving a window frozen while the ticks keep telling it live.
 */
@Cluster
class LeftoverAttachmentTest {
    /** On the same table as {@link #Q}: rows written below n = 0 never enter it. */
    static final Query QUIET = query("{\"table\":\"ns\",\"order\":[{\"field\":\"n\",\"dir\":\"desc\"}],\"limit\":3}");

    static final Query Q = query("{\"table\":\"ns\",\"order\":[{\"field\":\"n\"}],\"limit\":5}");

    @Test
    void aLeftoverOfAnEarlierProcessDoesNotHideADroppedAttachment() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard = new Shard(
                        new Shard.Config("lo1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                        new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            // The earlier process of gateway gwM watches a quiet window, then dies (its link cut:
            // to Redis and the shard that is a crash; nothing it sends on the way out arrives).
            try (TcpProxy link = new TcpProxy(redis.port)) {
                RedisBackend before = new RedisBackend(Fixtures.OPTIONS, link.uri(), "gwM", new SimpleMeterRegistry());
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> before.ready() && shard.owned().size() == 256);
                NeverSilentTest.seed(before, 8);
                Client old = new Client(before.subscribe(QUIET, null, () -> {}));
                await().atMost(Duration.ofSeconds(10)).until(() -> old.poll().ready());
                link.cut();
                Thread.ofVirtual().start(before::close);
            }
            // The same gateway id, restarted at once.
            try (RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwM", new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(20)).until(gw::ready);
                Client c = new Client(gw.subscribe(Q, null, () -> {}));
                NeverSilentTest.converge(c, gw, Q);
                // The shard drops the new process's newest attachment and no "gone" reaches the gateway.
                NeverSilentTest.dropWithoutAWord(direct, "gwM", "lo1");
                for (int i = 0; i < 5; i++) {
                    gw.put("ns", "late" + i, row("{\"n\":" + (-i) + "}"), null);
                }
                // Either the window follows, or its client is told it may not.
                await().atMost(Duration.ofSeconds(15))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> c.poll().window().equals(truth(gw, Q)) || c.staleNow());
                NeverSilentTest.converge(c, gw, Q);
                assertThat(c.resets()).containsExactly("subscribe");
                assertThat(c.violations()).isEmpty();
            }
        }
    }
}
