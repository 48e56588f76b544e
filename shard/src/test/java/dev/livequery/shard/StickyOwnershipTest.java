package dev.livequery.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 §3: ownership is sticky across short pauses. A shard SIGSTOPped for 2 s (a long GC)
 * at the worst moment of its renewal cycle keeps every lease it held, with the same fence (no
 * partition moved away and back); one stopped past the TTL loses them to the other shard.
 */
@Cluster
@Slow
class StickyOwnershipTest {
    static final Duration TTL = Duration.ofSeconds(3);
    static final Duration GC_PAUSE = Duration.ofSeconds(2);

    RedisProcess redis;
    Redis direct;
    ShardProcess pa;
    ShardProcess pb;

    @BeforeEach
    void up() throws Exception {
        redis = RedisProcess.start(false);
        direct = Redis.connect(redis.uri(), Duration.ofSeconds(2));
        pa = ShardProcess.start("pa", redis.uri(), TTL);
        pb = ShardProcess.start("pb", redis.uri(), TTL);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            Map<Integer, String> l = leases();
            return l.size() == Keys.PARTITIONS
                    && l.values().stream().anyMatch(v -> v.startsWith("pa/"))
                    && l.values().stream().anyMatch(v -> v.startsWith("pb/"));
        });
    }

    @AfterEach
    void down() {
        pa.close();
        pb.close();
        direct.close();
        redis.close();
    }

    /** Partition to lease value (holder incarnation and fence), for the partitions with a lease. */
    Map<Integer, String> leases() {
        String[] keys = new String[Keys.PARTITIONS];
        for (int p = 0; p < Keys.PARTITIONS; p++) {
            keys[p] = Keys.owner(p);
        }
        Map<Integer, String> out = new HashMap<>();
        var values = direct.cmd().mget(keys);
        for (int p = 0; p < Keys.PARTITIONS; p++) {
            if (values.get(p).hasValue()) {
                out.put(p, values.get(p).getValue());
            }
        }
        return out;
    }

    /** The partitions whose lease is not what it was: "partition: before -> now". */
    java.util.List<String> moved(Map<Integer, String> before) {
        Map<Integer, String> now = leases();
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int p = 0; p < Keys.PARTITIONS; p++) {
            if (!java.util.Objects.equals(before.get(p), now.get(p))) {
                out.add(p + ": " + before.get(p) + " -> " + now.get(p));
            }
        }
        return out;
    }

    /**
     * Waits for the worst moment to pause {@code pa}: its heartbeat (renewed with its leases) as
     * close to expiry as its renewal cycle lets it get, found by watching the key's PTTL for a
     * couple of cycles first.
     */
    void awaitLeastTimeLeft() {
        long least = Long.MAX_VALUE;
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) {
            least = Math.min(least, direct.cmd().pttl(Keys.shard("pa")));
            LockSupport.parkNanos(5_000_000L);
        }
        // Close to the least seen, but never below the worst phase the design promises to survive
        // (a renewal every TTL/6, Shard.renewEvery): on a loaded machine one late tick shows a
        // least that the design does not cover, and a pause there fails on the machine's load, not
        // on the code. Gives up after a few cycles and pauses at whatever phase it is (milder).
        long designWorst = TTL.toMillis() - TTL.toMillis() / 6;
        long target = Math.max(least, designWorst) + 100;
        long giveUp = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        long left;
        while ((left = direct.cmd().pttl(Keys.shard("pa"))) > target && System.nanoTime() < giveUp) {
            LockSupport.parkNanos(3_000_000L);
        }
        System.out.printf("sticky: pausing pa with %d ms of heartbeat left (least seen %d)%n", left, least);
    }

    /** Holds the pause for {@code d}, checking all along that no lease changed hands. */
    void pauseFor(Duration d, Map<Integer, String> before) throws Exception {
        pa.signal("STOP");
        long end = System.nanoTime() + d.toNanos();
        try {
            while (System.nanoTime() < end) {
                assertThat(moved(before))
                        .as("leases changed while pa is paused")
                        .isEmpty();
                LockSupport.parkNanos(20_000_000L);
            }
        } finally {
            pa.signal("CONT");
        }
    }

    @Test
    void aTwoSecondPauseMovesNoPartition() throws Exception {
        for (int round = 0; round < 2; round++) {
            Map<Integer, String> before = leases();
            awaitLeastTimeLeft();
            long pttl = direct.cmd().pttl(Keys.shard("pa"));
            pauseFor(GC_PAUSE, before);
            // For a whole TTL after the pause: the same holders with the same fences, and pa still a member.
            long end = System.nanoTime() + TTL.toNanos();
            while (System.nanoTime() < end) {
                assertThat(moved(before))
                        .as("leases changed (round %d, paused with %d ms of heartbeat left)", round, pttl)
                        .isEmpty();
                assertThat(direct.cmd().smembers(Keys.SHARDS)).contains("pa", "pb");
                LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    @Test
    void aPausePastTheTtlMovesItsPartitions() throws Exception {
        Map<Integer, String> before = leases();
        pa.signal("STOP");
        try {
            // pb takes pa's partitions (new fences) within the TTL plus a renewal or two.
            await().atMost(TTL.plusSeconds(3))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        Map<Integer, String> now = leases();
                        return before.entrySet().stream()
                                .filter(e -> e.getValue().startsWith("pa/"))
                                .allMatch(e -> now.getOrDefault(e.getKey(), "").startsWith("pb/"));
                    });
        } finally {
            pa.signal("CONT");
        }
    }
}
