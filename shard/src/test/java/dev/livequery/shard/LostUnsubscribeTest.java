package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.TcpProxy;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * An unsubscribe that never reaches the shard leaves a quiet attachment there: it sends no
 * frames, so the gateway's stray handling never sees it. The digest in the shard's ticks does:
 * the gateway sends a keep, the shard closes the leftover, and when the leftover made the count
 * match while hiding an attachment the shard had dropped without a word, the gateway re-attaches
 * that one at once rather than leaving its window silently behind.
 */
@Cluster
class LostUnsubscribeTest {
    static final Query Q = NeverSilentTest.Q;
    /** On the same table (and so partition) as {@link #Q}: rows written below n = 0 never enter them. */
    static final Query QUIET = LeftoverAttachmentTest.QUIET;

    static final Query QUIET2 = query("{\"table\":\"ns\",\"order\":[{\"field\":\"n\",\"dir\":\"desc\"}],\"limit\":2}");

    /** The gateway closes a quiet window while its Redis link is down: the shard closes the leftover. */
    @Test
    void aQuietLeftoverWhoseUnsubscribeWasLostIsClosed() throws Exception {
        SimpleMeterRegistry shardMetrics = new SimpleMeterRegistry();
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard =
                        new Shard(new Shard.Config("lu1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000), shardMetrics);
                TcpProxy link = new TcpProxy(redis.port);
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, link.uri(), "gwLu", new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gw.ready() && shard.owned().size() == 256);
            NeverSilentTest.seed(gw, 8);
            Client c = new Client(gw.subscribe(Q, null, () -> {}));
            Client quiet = new Client(gw.subscribe(QUIET, null, () -> {}));
            NeverSilentTest.converge(c, gw, Q);
            NeverSilentTest.converge(quiet, gw, QUIET);
            await().atMost(Duration.ofSeconds(5)).until(() -> hostedInLastTick(direct, "gwLu") == 2);

            // The quiet window is closed while the gateway's link is down: its unsubscribe is lost.
            link.cut();
            quiet.sub.close();
            link.heal();

            // The shard comes to host only what the gateway holds, and says so in its ticks.
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> hosted(shardMetrics) == 1 && hostedInLastTick(direct, "gwLu") == 1);
            // The window the gateway kept is served as before.
            await().atMost(Duration.ofSeconds(10))
                    .ignoreExceptions()
                    .until(() -> gw.put("ns", "after", row("{\"n\":-7}"), null) != null);
            NeverSilentTest.converge(c, gw, Q);
            assertThat(c.resets()).containsExactly("subscribe");
            assertThat(c.violations()).isEmpty();
        }
    }

    /**
     * The shard loses an unsubscribe of a quiet window (its control entry deleted before it read
     * it) and, in the same moment, drops Q's attachment without a word reaching the gateway. It
     * hosts two attachments of the gateway, as many as the gateway holds there, but not the same
     * ones, and the partition still has an attachment, so the shard keeps reporting it applied:
     * neither the count nor the progress check can see that Q misses the next write. The digest
     * does: Q is re-attached with resume and catches up, with no later write to reveal it.
     */
    @Test
    void aDropMaskedByALeftoverIsRepairedWithoutAWriteToRevealIt() throws Exception {
        SimpleMeterRegistry shardMetrics = new SimpleMeterRegistry();
        try (RedisProcess redis = RedisProcess.start(false);
                TcpProxy shardLink = new TcpProxy(redis.port);
                Shard shard = new Shard(
                        new Shard.Config("lu2", shardLink.uri(), Fixtures.OPTIONS, 2000, 10_000), shardMetrics);
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwLm", new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gw.ready() && shard.owned().size() == 256);
            NeverSilentTest.seed(gw, 8);
            Client quiet = new Client(gw.subscribe(QUIET, null, () -> {}));
            Client quiet2 = new Client(gw.subscribe(QUIET2, null, () -> {}));
            Client c = new Client(gw.subscribe(Q, null, () -> {}));
            NeverSilentTest.converge(quiet, gw, QUIET);
            NeverSilentTest.converge(quiet2, gw, QUIET2);
            // Q's frames are the newest in the delivery stream: dropWithoutAWord picks Q.
            gw.put("ns", "first", row("{\"n\":-1}"), null);
            NeverSilentTest.converge(c, gw, Q);
            await().atMost(Duration.ofSeconds(5)).until(() -> hosted(shardMetrics) == 3);

            // While the shard cannot read its control stream: the gateway closes the second quiet
            // window, that unsubscribe is lost, and the shard is told to drop Q (as a lost "gone").
            shardLink.cut();
            quiet2.sub.close();
            direct.cmd().del(Keys.control("lu2"));
            NeverSilentTest.dropWithoutAWord(direct, "gwLm", "lu2");
            shardLink.heal();
            await().atMost(Duration.ofSeconds(10)).until(() -> hosted(shardMetrics) == 2);

            // The write Q misses; nothing is written after it.
            gw.put("ns", "missed", row("{\"n\":-2}"), null);
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> {
                        assertThat(c.poll().window()).isEqualTo(truth(gw, Q));
                        assertThat(c.ready()).isTrue();
                    });
            // The leftover is gone and Q is hosted again: the shard hosts what the gateway holds.
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> hosted(shardMetrics) == 2 && hostedInLastTick(direct, "gwLm") == 2);
            assertThat(c.resumedReadies()).as("Q was re-attached with resume").isGreaterThanOrEqualTo(1);
            assertThat(c.resets()).containsExactly("subscribe");
            assertThat(c.violations()).isEmpty();
        }
    }

    /** The attachment count in the newest tick to {@code gw} (-1: none yet). */
    static int hostedInLastTick(Redis direct, String gw) {
        for (var m : direct.cmd().xrevrange(Keys.delivery(gw), Range.create("-", "+"), Limit.from(200))) {
            if (DeliveryEntry.parse(m.getBody()).body() instanceof Delivery.Tick t) {
                return t.hosted();
            }
        }
        return -1;
    }

    private static double hosted(SimpleMeterRegistry shardMetrics) {
        return shardMetrics.get("livequery_shard_subscriptions").gauge().value();
    }
}
