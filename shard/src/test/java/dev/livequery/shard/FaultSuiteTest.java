package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import dev.livequery.testkit.process.TcpProxy;
import io.lettuce.core.XTrimArgs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 §4: faults injected into real processes and real Redis links (SIGSTOP, a TCP proxy
 * that delays and cuts, streams trimmed under load). Each scenario runs a paced writer, follows
 * windows with naive clients, and ends with every window equal to the truth and no window out of
 * date for more than 3 s without {@code status stale} or a reset ({@link dev.livequery.testkit.SilenceChecker}).
 */
@Cluster
@Slow
class FaultSuiteTest extends FaultHarness {
    @Test
    void everyShardPausedPastItsLease() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        ShardProcess a = keep(ShardProcess.start("fp1", redis.uri(), Duration.ofSeconds(2)));
        ShardProcess b = keep(ShardProcess.start("fp2", redis.uri(), Duration.ofSeconds(2)));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwF1", new SimpleMeterRegistry()));
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.gauges().get("live_shards") == 2);
        follow(gw);
        scenario("all shards paused", 11, gw, gw, () -> {
            a.signal("STOP");
            b.signal("STOP");
            hold(6_000);
            a.signal("CONT");
            b.signal("CONT");
        });
        for (Client c : clients) {
            assertThat(c.statuses()).as("told while every shard was paused").contains("stale", "live");
        }
    }

    @Test
    void deliveryAndControlStreamsTrimmedUnderLoad() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        Shard shard = keep(new Shard(
                new Shard.Config("ft1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000), new SimpleMeterRegistry()));
        shard.start();
        // A slow link (every chunk 300 ms late), so entries wait unread in the stream and a trim loses them.
        TcpProxy link = keep(new TcpProxy(redis.port));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, link.uri(), "gwT1", new SimpleMeterRegistry()));
        RedisBackend other = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwT2", new SimpleMeterRegistry()));
        Redis direct = keep(Redis.connect(redis.uri(), Duration.ofSeconds(2)));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> gw.ready() && shard.owned().size() == 256);
        follow(gw);
        Random rnd = new Random(23);
        scenario("streams trimmed", 23, other, other, () -> {
            link.delay(300);
            long end = System.nanoTime() + 8_000_000_000L;
            while (System.nanoTime() < end) {
                // Whatever is unread in the gateway's delivery stream or the shard's control stream now is lost.
                direct.cmd().xtrim(Keys.delivery("gwT1"), XTrimArgs.Builder.maxlen(0));
                if (rnd.nextBoolean()) {
                    direct.cmd().xtrim(Keys.control("ft1"), XTrimArgs.Builder.maxlen(0));
                }
                hold(50 + rnd.nextInt(400));
            }
            link.heal();
        });
    }

    @Test
    void aGatewaysRedisLinkDelayedThenCut() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        Shard shard = keep(new Shard(
                new Shard.Config("fg1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000), new SimpleMeterRegistry()));
        shard.start();
        TcpProxy link = keep(new TcpProxy(redis.port));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, link.uri(), "gwL1", new SimpleMeterRegistry()));
        RedisBackend healthy = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwL2", new SimpleMeterRegistry()));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> gw.ready() && shard.owned().size() == 256);
        follow(gw);
        scenario("gateway link delayed then cut", 31, healthy, healthy, () -> {
            link.delay(2_500);
            hold(6_000);
            link.cut();
            hold(5_000);
            link.heal();
        });
        for (Client c : clients) {
            assertThat(c.statuses()).contains("stale", "live");
        }
    }

    @Test
    void aShardsRedisLinkDelayedThenCut() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        TcpProxy link = keep(new TcpProxy(redis.port));
        ShardProcess a = keep(ShardProcess.start("fs1", link.uri(), Duration.ofSeconds(2)));
        ShardProcess b = keep(ShardProcess.start("fs2", redis.uri(), Duration.ofSeconds(2)));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwS1", new SimpleMeterRegistry()));
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.gauges().get("live_shards") == 2);
        follow(gw);
        scenario("shard link delayed then cut", 41, gw, gw, () -> {
            link.delay(2_500);
            hold(6_000);
            link.cut();
            hold(5_000);
            link.heal();
        });
        assertThat(a.process.isAlive() && b.process.isAlive()).isTrue();
    }

    /**
     * One of two shards SIGSTOPped well past its lease while the other runs: the other takes its
     * partitions (their subscribers are told stale, then follow the new owner). On SIGCONT the
     * paused one finds its leases gone and publishes nothing under them (the fence: per
     * partition, the fences of published frames never go down); partitions may then move back.
     */
    @Test
    void oneShardPausedPastItsLeaseWhileAnotherRuns() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        ShardProcess a = keep(ShardProcess.start("fo1", redis.uri(), Duration.ofSeconds(2)));
        ShardProcess b = keep(ShardProcess.start("fo2", redis.uri(), Duration.ofSeconds(2)));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwO1", new SimpleMeterRegistry()));
        Redis direct = keep(Redis.connect(redis.uri(), Duration.ofSeconds(2)));
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.gauges().get("live_shards") == 2);
        follow(gw);
        int p = Keys.partition("fa");
        ShardProcess paused = Membership.owner(p, List.of(a.id, b.id)).equals(a.id) ? a : b;
        ShardProcess other = paused == a ? b : a;
        FenceTap tap = keep(new FenceTap(direct, Keys.delivery("gwO1")));
        scenario("one shard paused past its lease", 71, gw, gw, () -> {
            paused.signal("STOP");
            try {
                await().atMost(Duration.ofSeconds(15))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() ->
                                String.valueOf(direct.cmd().get(Keys.owner(p))).startsWith(other.id + "/"));
                hold(3_000); // the other shard serves the partition meanwhile
            } finally {
                paused.signal("CONT");
            }
            // It notices: a renewal that finds another holder, or a publish the fence refused.
            await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        String log = java.nio.file.Files.readString(paused.log);
                        return log.contains("lost the lease") || log.contains("fenced publish refused");
                    });
        });
        assertThat(tap.violations()).as("frames published under a lost lease").isEmpty();
        assertThat(tap.holders(p))
                .as("holders that published partition %d", p)
                .anyMatch(h -> h.startsWith(other.id + "/"));
        System.out.println("one shard paused: publishers of partition " + p + ": " + tap.holders(p));
        assertThat(a.process.isAlive() && b.process.isAlive()).isTrue();
    }

    /**
     * Two shard processes started with the same id (a deployment mistake). Leases carry the
     * holder's incarnation, so only one of them serves a partition; the other answers nothing
     * it does not own. Killing the one that serves hands everything to the other.
     */
    @Test
    void twoShardsWithTheSameId() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        Redis direct = keep(Redis.connect(redis.uri(), Duration.ofSeconds(2)));
        ShardProcess a = keep(ShardProcess.start("twin", redis.uri(), Duration.ofSeconds(2)));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwW1", new SimpleMeterRegistry()));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> gw.ready() && direct.cmd().get(Keys.owner(255)) != null);
        ShardProcess b = keep(ShardProcess.start("twin", redis.uri(), Duration.ofSeconds(2)));
        follow(gw);
        try {
            scenario("two shards with one id", 51, gw, gw, () -> {
                hold(3_000);
                String holder = direct.cmd().get(Keys.owner(Keys.partition("fa")));
                System.out.println("twin holding partition of fa: " + holder);
                a.sigkill(); // the first one started, which took the leases
                hold(4_000);
            });
        } catch (AssertionError | RuntimeException e) {
            System.out.println("second twin's log:\n" + java.nio.file.Files.readString(b.log));
            throw e;
        }
        assertThat(b.process.isAlive()).isTrue();
    }

    /**
     * 50 gateways come and go without a clean exit (their link cut, as a crash looks to Redis):
     * shards delete what they left behind, so the number of keys returns to its baseline within
     * a minute and memory does not grow with the number of gateways that ever lived.
     */
    @Test
    void fiftyGatewayCrashesLeaveNothingBehind() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        Shard shard = keep(new Shard(
                new Shard.Config("fk1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000), new SimpleMeterRegistry()));
        shard.start();
        Redis direct = keep(Redis.connect(redis.uri(), Duration.ofSeconds(2)));
        RedisBackend writer = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwK0", new SimpleMeterRegistry()));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> writer.ready() && shard.owned().size() == 256);
        Query q = query("{\"table\":\"fk\",\"order\":[{\"field\":\"n\"}],\"limit\":5}");
        writer.put("fk", "r0", row("{\"n\":0}"), null);
        writer.subscribe(q, null, () -> {}); // the shard's control stream and the partition exist from here
        await().atMost(Duration.ofSeconds(10)).until(() -> direct.cmd().xlen(Keys.control("fk1")) == 0);
        long baseKeys = direct.cmd().dbsize();
        long baseMemory = usedMemory(direct);
        for (int g = 1; g <= 50; g++) {
            try (TcpProxy link = new TcpProxy(redis.port)) {
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, link.uri(), "gwK" + g, new SimpleMeterRegistry());
                Client c = new Client(gw.subscribe(q, null, () -> {}));
                await().atMost(Duration.ofSeconds(10)).until(() -> c.poll().ready());
                link.cut(); // from Redis's side, the gateway died here
                Thread.ofVirtual().start(gw::close); // its own cleanup cannot reach Redis
            }
        }
        assertThat(direct.cmd().dbsize())
                .as("keys while the dead gateways' state is still there")
                .isGreaterThan(baseKeys);
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> direct.cmd().dbsize() == baseKeys);
        long memory = usedMemory(direct);
        System.out.println("50 gateway crashes: keys " + baseKeys + " -> "
                + direct.cmd().dbsize() + ", used_memory " + baseMemory + " -> " + memory);
        assertThat(direct.cmd().smembers(Keys.GATEWAYS)).containsExactly("gwK0");
        assertThat(memory).isLessThan(baseMemory + 1_000_000);
    }

    static long usedMemory(Redis r) {
        for (String line : r.cmd().info("memory").split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).trim());
            }
        }
        throw new IllegalStateException("no used_memory in INFO");
    }
}
