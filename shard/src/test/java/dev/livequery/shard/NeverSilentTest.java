package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.cluster.Control;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.XAddArgs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 §2: a window that can be out of date for more than 3 s has been told so ({@code status
 * stale}, later {@code live} and the frames, or a reset), and converges afterwards — also when
 * the shard is paused, when a shard drops an attachment without the gateway hearing of it, when
 * delivery entries are lost, and when Redis comes back from an older snapshot.
 */
@Cluster
class NeverSilentTest {
    static final Query Q = query("{\"table\":\"ns\",\"order\":[{\"field\":\"n\"}],\"limit\":5}");

    static void seed(RedisBackend gw, int rows) throws Exception {
        for (int i = 0; i < rows; i++) {
            gw.put("ns", "r" + i, row("{\"n\":" + (i * 10) + "}"), null);
        }
    }

    static void converge(Client c, RedisBackend truthFrom, Query q) {
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    assertThat(c.poll().window()).isEqualTo(truth(truthFrom, q));
                    assertThat(c.ready()).isTrue();
                });
    }

    /** The owner is SIGSTOPped (its lease outlives the pause): stale within ~3 s, live after SIGCONT. */
    @Test
    void aPausedShardIsReportedStaleThenLive() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                ShardProcess shard = ShardProcess.start("ps1", redis.uri(), Duration.ofSeconds(30));
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwP", new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(20)).until(gw::ready);
            seed(gw, 8);
            Client c = new Client(gw.subscribe(Q, null, () -> {}));
            converge(c, gw, Q);
            shard.signal("STOP");
            long stopped = System.nanoTime();
            gw.put("ns", "new", row("{\"n\":-1}"), null); // the window is out of date from here on
            await().atMost(Duration.ofSeconds(8))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> c.poll().statuses().contains("stale"));
            long toldMs = (System.nanoTime() - stopped) / 1_000_000;
            System.out.println("paused shard: stale told after " + toldMs + " ms");
            assertThat(toldMs)
                    .as("told within 3 s of the last word plus a tick")
                    .isLessThan(5_500);
            shard.signal("CONT");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> c.poll().statuses().contains("live"));
            converge(c, gw, Q);
            assertThat(c.statuses()).containsExactly("stale", "live");
            assertThat(c.violations()).isEmpty();
        }
    }

    /**
     * The shard drops an attachment and no "gone" reaches the gateway (here: an unsubscribe the
     * gateway never sent). The shard's ticks count fewer attachments than the gateway holds, so
     * the gateway re-attaches with resume and the window converges instead of freezing.
     */
    @Test
    void anAttachmentDroppedWithoutAWordIsRepaired() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard = new Shard(
                        new Shard.Config("dr1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                        new SimpleMeterRegistry());
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwD", new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gw.ready() && shard.owned().size() == 256);
            seed(gw, 8);
            Client c = new Client(gw.subscribe(Q, null, () -> {}));
            converge(c, gw, Q);
            dropWithoutAWord(direct, "gwD", "dr1");
            for (int i = 0; i < 5; i++) {
                gw.put("ns", "late" + i, row("{\"n\":" + (-i) + "}"), null);
            }
            converge(c, gw, Q);
            assertThat(c.resets()).containsExactly("subscribe");
            assertThat(c.violations()).isEmpty();
        }
    }

    /** Entries of the delivery stream go missing (trimmed or deleted): the gap in the sender's numbers is repaired. */
    @Test
    void aGapInTheDeliveryStreamIsRepaired() throws Exception {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard = new Shard(
                        new Shard.Config("gp1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                        new SimpleMeterRegistry());
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwG", metrics);
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gw.ready() && shard.owned().size() == 256);
            seed(gw, 8);
            Client c = new Client(gw.subscribe(Q, null, () -> {}));
            converge(c, gw, Q);
            // The shard's next entries to us will carry numbers the gateway has not seen: pretend
            // the three before them were lost, by writing the sender's sequence past them.
            var last = direct.cmd()
                    .xrevrange(Keys.delivery("gwG"), Range.create("-", "+"), io.lettuce.core.Limit.from(1))
                    .get(0)
                    .getBody();
            String sender = last.get("sh");
            long seq = Long.parseLong(last.get("sq"));
            direct.cmd()
                    .xadd(Keys.delivery("gwG"), Map.of("sh", sender, "sq", Long.toString(seq + 4), "k", "t", "c", "1"));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> metrics.counter("livequery_gateway_delivery_gaps", "gateway", "gwG")
                                    .count()
                            >= 1);
            gw.put("ns", "after", row("{\"n\":-5}"), null);
            converge(c, gw, Q);
            assertThat(c.resets()).containsExactly("subscribe");
            assertThat(c.violations()).isEmpty();
        }
    }

    /**
     * Redis comes back from an older snapshot (the last writes lost), then new writes reuse their
     * version numbers. A client resuming with a token from before must get {@code reset epoch},
     * never a splice against the reused versions (which would leave its window wrong, silently).
     */
    @Test
    void aRestartFromAnOlderSnapshotGivesResetEpoch() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            String token;
            try (Shard shard = new Shard(
                            new Shard.Config("os1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                            new SimpleMeterRegistry());
                    RedisBackend gw =
                            new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwO1", new SimpleMeterRegistry());
                    Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
                shard.start();
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> gw.ready() && shard.owned().size() == 256);
                seed(gw, 8);
                Client c = new Client(gw.subscribe(Q, null, () -> {}));
                converge(c, gw, Q);
                direct.cmd().save(); // the snapshot Redis will come back from
                for (int i = 0; i < 4; i++) {
                    gw.put("ns", "lost" + i, row("{\"n\":" + (-10 - i) + "}"), null); // acknowledged, then lost
                }
                converge(c, gw, Q);
                token = c.lastEid();
            }
            redis.kill();
            redis.launch(); // loads the snapshot: the four writes are gone
            try (Shard shard = new Shard(
                            new Shard.Config("os1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                            new SimpleMeterRegistry());
                    RedisBackend gw =
                            new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwO2", new SimpleMeterRegistry())) {
                shard.start();
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> gw.ready() && shard.owned().size() == 256);
                for (int i = 0; i < 4; i++) {
                    gw.put(
                            "ns",
                            "other" + i,
                            row("{\"n\":" + (100 + i) + "}"),
                            null); // the same versions, other changes
                }
                Client c = new Client(gw.subscribe(Q, token, () -> {}));
                converge(c, gw, Q);
                assertThat(c.resets()).containsExactly("epoch");
                assertThat(c.violations()).isEmpty();
            }
        }
    }

    /** Eviction would drop rows, leases and epochs without a word: a shard refuses to start on it. */
    @Test
    void aShardRefusesAnEvictingRedis() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false, "--maxmemory-policy", "allkeys-lru")) {
            Shard shard = new Shard(
                    new Shard.Config("ev1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000), new SimpleMeterRegistry());
            assertThatThrownBy(shard::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("maxmemory-policy allkeys-lru")
                    .hasMessageContaining("noeviction");
        }
    }

    /** Ensures the Control encoding a test injects is the one shards parse (one encoder, one parser). */
    @Test
    void controlEntriesRoundTrip() throws Exception {
        Control.Unsubscribe un = new Control.Unsubscribe("g", "s1", "a1");
        assertThat(Control.parse(un.map())).isEqualTo(un);
        Control.Subscribe sub = new Control.Subscribe("g", "s2", "a2", "r1", Q, "tok");
        Control parsed = Control.parse(sub.map());
        assertThat(parsed).isInstanceOf(Control.Subscribe.class);
        assertThat(((Control.Subscribe) parsed).query().shape()).isEqualTo(Q.shape());
        assertThat(((Control.Subscribe) parsed).resume()).isEqualTo("tok");
        assertThatThrownBy(() -> Control.parse(Map.of("op", "zz", "gw", "g", "sid", "s")))
                .hasMessageContaining("unknown control op");
    }

    /**
     * Makes shard {@code shard} drop gateway {@code gateway}'s newest attachment without telling
     * the gateway: the shard gets an unsubscribe the gateway never sent, as a lost "gone" looks.
     */
    static void dropWithoutAWord(Redis direct, String gateway, String shard) {
        String sid = direct.cmd().xrevrange(Keys.delivery(gateway), Range.create("-", "+"), Limit.from(1000)).stream()
                .map(m -> m.getBody().get("sid"))
                .filter(s -> s != null)
                .findFirst()
                .orElseThrow();
        direct.cmd()
                .xadd(
                        Keys.control(shard),
                        XAddArgs.Builder.maxlen(1000),
                        new Control.Unsubscribe(gateway, sid, null).map());
    }
}
