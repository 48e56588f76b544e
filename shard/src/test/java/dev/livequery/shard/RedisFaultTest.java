package dev.livequery.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Faults of the one Redis everything shares, while a writer writes, with two shard processes
 * whose leases last 2 s and the gateway in process. Paused (SIGSTOP; its writes queue on the
 * gateway's link and time out, and Redis runs them when it wakes): shorter than the lease nothing
 * is lost; longer, every lease (and every shard's membership) expires the moment Redis wakes, so
 * the shards find their leases gone, take them again and their subscribers re-attach. Restarted
 * empty (no persistence) under the running shards and gateway: every window gets {@code reset
 * epoch} and the new data. Either way every window ends equal to the truth with no frame that
 * does not fit, and none is out of date for more than 3 s without {@code status stale} or a reset.
 */
@Cluster
@Slow
class RedisFaultTest extends FaultHarness {
    @Test
    void redisPausedShorterThanTheLease() throws Exception {
        paused(1_200, 81);
    }

    @Test
    void redisPausedLongerThanTheLease() throws Exception {
        paused(6_000, 83);
        for (Client c : clients) {
            assertThat(c.statuses()).as("told while Redis was paused").contains("stale", "live");
        }
    }

    @Test
    void redisRestartedEmpty() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        ShardProcess a = keep(ShardProcess.start("re1", redis.uri(), Duration.ofSeconds(2)));
        ShardProcess b = keep(ShardProcess.start("re2", redis.uri(), Duration.ofSeconds(2)));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwRE", new SimpleMeterRegistry()));
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.gauges().get("live_shards") == 2);
        follow(gw);
        scenario("redis restarted empty", 85, gw, gw, () -> {
            redis.kill();
            hold(1_000);
            redis.wipe();
            redis.launch();
        });
        assertThat(a.process.isAlive() && b.process.isAlive()).isTrue();
        for (int i = 0; i < clients.size(); i++) {
            assertThat(clients.get(i).resets()).as("client %d", i).contains("epoch");
        }
        System.out.println("redis restarted empty: resets "
                + clients.stream().map(Client::resets).toList() + ", statuses "
                + clients.stream().map(Client::statuses).toList());
    }

    /** Past the gateway's heartbeat (15 s) too: shards close its attachments, and it re-attaches everything. */
    @Test
    void redisPausedLongerThanTheGatewaysHeartbeat() throws Exception {
        paused(17_000, 89);
        for (Client c : clients) {
            assertThat(c.statuses()).as("told while Redis was paused").contains("stale", "live");
        }
    }

    /** Redis comes back from a snapshot taken a few seconds before (the writes since are lost) under the running shards. */
    @Test
    void redisRestartedFromAnOlderSnapshot() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        ShardProcess a = keep(ShardProcess.start("ro1", redis.uri(), Duration.ofSeconds(2)));
        ShardProcess b = keep(ShardProcess.start("ro2", redis.uri(), Duration.ofSeconds(2)));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwRO", new SimpleMeterRegistry()));
        Redis direct = keep(Redis.connect(redis.uri(), Duration.ofSeconds(2)));
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.gauges().get("live_shards") == 2);
        follow(gw);
        scenario("redis restarted from an older snapshot", 87, gw, gw, () -> {
            hold(500);
            direct.cmd().save(); // what Redis comes back with
            hold(1_500); // writes acknowledged meanwhile are lost
            redis.kill();
            redis.launch();
        });
        assertThat(a.process.isAlive() && b.process.isAlive()).isTrue();
        for (int i = 0; i < clients.size(); i++) {
            assertThat(clients.get(i).resets()).as("client %d", i).contains("epoch");
        }
        System.out.println("redis restarted from an older snapshot: resets "
                + clients.stream().map(Client::resets).toList() + ", statuses "
                + clients.stream().map(Client::statuses).toList());
    }

    private void paused(long ms, long seed) throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        ShardProcess a = keep(ShardProcess.start("rp1", redis.uri(), Duration.ofSeconds(2)));
        ShardProcess b = keep(ShardProcess.start("rp2", redis.uri(), Duration.ofSeconds(2)));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwRP", new SimpleMeterRegistry()));
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.gauges().get("live_shards") == 2);
        follow(gw);
        scenario("redis paused " + ms + " ms", seed, gw, gw, () -> {
            redis.signal("STOP");
            try {
                hold(ms);
            } finally {
                redis.signal("CONT");
            }
        });
        assertThat(a.process.isAlive() && b.process.isAlive()).isTrue();
        System.out.println("redis paused " + ms + " ms: resets "
                + clients.stream().map(Client::resets).toList());
    }
}
