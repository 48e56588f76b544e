package dev.livequery.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.StallWatch;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 §3: ownership is sticky across short pauses. A shard SIGSTOPped for 2 s (a long GC)
 * at the worst moments of its renewal cycle keeps every lease it held, with the same fence (no
 * partition moved away and back); one stopped past the TTL loses them to the other shard.
 */
@Cluster
@Slow
class StickyOwnershipTest {
    static final Duration TTL = Duration.ofSeconds(3);
    static final Duration GC_PAUSE = Duration.ofSeconds(2);
    /**
     * Time a renewal may take on a loaded machine, with room to spare (a few ms unloaded). A round
     * must leave the paused shard this much running time between waking and its leases' expiry to
     * count: one left less, by a host that stalled or signals that arrived late, says nothing of
     * the shard. And a lease is renewed at most this long after the heartbeat.
     */
    static final long RENEW_MS = 200;
    /** Rounds of one phase that may be spoiled or miss the phase before the test gives up on the host. */
    static final int SPOILED_MAX = 3;

    RedisProcess redis;
    Redis direct;
    ShardProcess pa;
    ShardProcess pb;
    /** Redis client ids of pa's connections (those open before pb started). */
    Set<Long> paClients;

    @BeforeEach
    void up() throws Exception {
        redis = RedisProcess.start(false);
        direct = Redis.connect(redis.uri(), Duration.ofSeconds(2));
        pa = ShardProcess.start("pa", redis.uri(), TTL);
        paClients = clientIds();
        paClients.remove(direct.cmd().clientId());
        pb = ShardProcess.start("pb", redis.uri(), TTL);
        awaitSettled();
    }

    @AfterEach
    void down() {
        // up() may have failed part way: close what it started, or a redis-server outlives the test.
        for (AutoCloseable c : java.util.Arrays.asList(pa, pb, direct, redis)) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.out.println("cleanup: " + e);
                }
            }
        }
    }

    /** Every partition leased by the shard rendezvous gives it to (each holds some). */
    void awaitSettled() {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            Map<Integer, String> l = leases();
            for (int p = 0; p < Keys.PARTITIONS; p++) {
                if (!l.getOrDefault(p, "").startsWith(Membership.owner(p, List.of("pa", "pb")) + "/")) {
                    return false;
                }
            }
            return true;
        });
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

    /**
     * What is not as it was: "partition: before -> now" for each lease, and a shard missing from
     * the members. Empty if nothing changed.
     */
    List<String> changes(Map<Integer, String> before) {
        Map<Integer, String> now = leases();
        List<String> out = new ArrayList<>();
        for (int p = 0; p < Keys.PARTITIONS; p++) {
            if (!Objects.equals(before.get(p), now.get(p))) {
                out.add(p + ": " + before.get(p) + " -> " + now.get(p));
            }
        }
        Set<String> members = direct.cmd().smembers(Keys.SHARDS);
        for (String s : List.of("pa", "pb")) {
            if (!members.contains(s)) {
                out.add(s + " is no longer a member");
            }
        }
        return out;
    }

    Set<Long> clientIds() {
        Set<Long> out = new HashSet<>();
        for (String line : direct.cmd().clientList().split("\n")) {
            out.add(Long.parseLong(field(line, "id")));
        }
        return out;
    }

    /** One {@code name=value} field of a CLIENT LIST line. */
    static String field(String line, String name) {
        for (String kv : line.trim().split(" ")) {
            if (kv.startsWith(name + "=")) {
                return kv.substring(name.length() + 1);
            }
        }
        return "";
    }

    /** Where in pa's renewal cycle a round pauses it. */
    enum Phase {
        /** Just before a renewal is due, when its heartbeat and leases have the least time left. */
        BEFORE_RENEWAL,
        /**
         * During a renewal, with its first command (the heartbeat) sent and not yet answered: the
         * pause outlasts the client's command timeout, so the renewal fails when pa wakes, with
         * about as little lease time left as before a renewal.
         */
        DURING_RENEWAL
    }

    /**
     * Waits for the moment just before pa's next renewal: its heartbeat (renewed with its leases)
     * as close to expiry as its renewal cycle lets it get, found by watching the key's PTTL for a
     * few cycles first. Checks on the way that pa renews as often as the design says (a sixth of
     * the TTL, Shard.renewEvery): the median time between the renewals seen, so that one late
     * tick on a loaded machine does not count.
     */
    void awaitLeastTimeLeft() {
        long least = Long.MAX_VALUE;
        long previous = Long.MAX_VALUE;
        long lastRenewal = -1;
        List<Long> gaps = new ArrayList<>();
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) {
            long left = direct.cmd().pttl(Keys.shard("pa"));
            long now = System.nanoTime();
            if (left > previous) {
                if (lastRenewal >= 0) {
                    gaps.add(TimeUnit.NANOSECONDS.toMillis(now - lastRenewal));
                }
                lastRenewal = now;
            }
            previous = left;
            least = Math.min(least, left);
            LockSupport.parkNanos(5_000_000L);
        }
        long renewEvery = TTL.toMillis() / 6;
        assertThat(gaps).as("ms between pa's renewals").isNotEmpty();
        assertThat(gaps.stream().sorted().toList().get(gaps.size() / 2))
                .as("median ms between pa's renewals %s", gaps)
                .isLessThanOrEqualTo(renewEvery + 100);
        // Close to the least seen, but never below the worst phase the design promises to survive:
        // on a loaded machine one late tick shows a least that the design does not cover, and a
        // pause there fails on the machine's load, not on the code. Gives up after a few cycles
        // and pauses at whatever phase it is (milder).
        long target = Math.max(least, TTL.toMillis() - renewEvery) + 100;
        long giveUp = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        while (direct.cmd().pttl(Keys.shard("pa")) > target && System.nanoTime() < giveUp) {
            LockSupport.parkNanos(3_000_000L);
        }
    }

    /**
     * Holds every client's writes in Redis until pa's next renewal is caught there with its
     * heartbeat. True once it is (writes stay held until {@link #releaseWrites}); false if it did
     * not come within a second (writes are released then).
     */
    boolean catchRenewalInFlight() {
        direct.cmd()
                .dispatch(
                        CommandType.CLIENT,
                        new StatusOutput<>(StringCodec.UTF8),
                        new CommandArgs<>(StringCodec.UTF8)
                                .add("PAUSE")
                                .add(1000)
                                .add("WRITE"));
        long giveUp = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (System.nanoTime() < giveUp) {
            for (String line : direct.cmd().clientList().split("\n")) {
                if (paClients.contains(Long.parseLong(field(line, "id")))
                        && field(line, "flags").contains("b")
                        && field(line, "cmd").equals("set")) {
                    return true;
                }
            }
            LockSupport.parkNanos(1_000_000L);
        }
        releaseWrites();
        return false;
    }

    void releaseWrites() {
        direct.cmd()
                .dispatch(
                        CommandType.CLIENT,
                        new StatusOutput<>(StringCodec.UTF8),
                        new CommandArgs<>(StringCodec.UTF8).add("UNPAUSE"));
    }

    /**
     * One round: pa paused for {@link #GC_PAUSE} at {@code phase}, then watched for a TTL. Its
     * outcome counts unless it left pa less than {@link #RENEW_MS} of running time to renew in:
     * between the moment pa was surely awake again and its leases' expiry, less the longest this
     * JVM was held up meanwhile (a stall of the host held pa up too).
     */
    record Round(Phase phase, long leftMs, long awakeLeftMs, long stallMs, List<String> changes, boolean early) {
        /** The lease time left to pa once awake, less the host's stall. */
        long runningLeftMs() {
            return awakeLeftMs - stallMs;
        }

        /**
         * A round that says nothing of the shard: something changed, but only after the leases
         * could have expired, and pa was left too little running time to renew them.
         */
        boolean spoiled() {
            return !changes.isEmpty() && !early && runningLeftMs() < RENEW_MS;
        }

        @Override
        public String toString() {
            return String.format(
                    "%s: paused with %d ms of heartbeat and leases left, %d ms of it once awake, host stalled %d ms; %s",
                    phase,
                    leftMs,
                    awakeLeftMs,
                    stallMs,
                    changes.isEmpty()
                            ? "nothing changed"
                            : changes.size() + " changes" + (early ? " before the leases could expire" : "")
                                    + ", first " + changes.get(0));
        }
    }

    /** A round, or null if the phase was not reached (pa's renewal was not caught in flight). */
    Round pauseOnce(Phase phase) throws Exception {
        awaitSettled();
        Map<Integer, String> before = leases();
        int probe = before.entrySet().stream()
                .filter(e -> e.getValue().startsWith("pa/"))
                .findFirst()
                .orElseThrow()
                .getKey();
        awaitLeastTimeLeft();
        if (phase == Phase.DURING_RENEWAL && !catchRenewalInFlight()) {
            return null;
        }
        // Every lease pa holds was renewed by the same script call, its heartbeat just before:
        // one lease key's PTTL is theirs, and the heartbeat's is no more than a little less.
        long asked = System.nanoTime();
        long leaseLeftMs = direct.cmd().pttl(Keys.owner(probe));
        long heartbeatLeftMs = direct.cmd().pttl(Keys.shard("pa"));
        assertThat(leaseLeftMs)
                .as(
                        "ms left of pa's lease of partition %d as the pause begins (PTTL; -2: none), renewed with"
                                + " its heartbeat (%d ms left)",
                        probe, heartbeatLeftMs)
                .isGreaterThanOrEqualTo(heartbeatLeftMs - RENEW_MS);
        long leftMs = Math.min(leaseLeftMs, heartbeatLeftMs);
        long expiry = asked + TimeUnit.MILLISECONDS.toNanos(leftMs);
        List<String> changed = List.of();
        long awake;
        pa.signal("STOP");
        try {
            if (phase == Phase.DURING_RENEWAL) {
                releaseWrites(); // Redis answers pa's heartbeat now; pa reads the answer after the pause
            }
            long end = System.nanoTime() + GC_PAUSE.toNanos();
            while (System.nanoTime() < end && changed.isEmpty()) {
                changed = changes(before);
                LockSupport.parkNanos(20_000_000L);
            }
        } finally {
            pa.signal("CONT");
            awake = System.nanoTime();
        }
        // For a whole TTL after the pause: the same holders with the same fences, and both still members.
        try (StallWatch watch = StallWatch.start()) {
            long end = awake + TTL.toNanos();
            while (System.nanoTime() < end && changed.isEmpty()) {
                changed = changes(before);
                LockSupport.parkNanos(20_000_000L);
            }
            long seen = System.nanoTime();
            return new Round(
                    phase,
                    leftMs,
                    TimeUnit.NANOSECONDS.toMillis(expiry - awake),
                    watch.longestMs(),
                    changed,
                    !changed.isEmpty() && seen < expiry);
        }
    }

    /** The shard's own warnings so far (lease ticks that failed, leases lost), for a failure's message. */
    static String warnings(ShardProcess s) throws IOException {
        return Files.readAllLines(s.log).stream()
                .filter(l -> l.startsWith("WARNING: shard "))
                .collect(Collectors.joining("\n"));
    }

    @Test
    void aTwoSecondPauseMovesNoPartition() throws Exception {
        // A pause during a renewal twice: pa may read Redis's answer before its timer runs out.
        for (Phase phase : List.of(Phase.BEFORE_RENEWAL, Phase.DURING_RENEWAL, Phase.DURING_RENEWAL)) {
            for (int spoiled = 0; ; spoiled++) {
                Round r = pauseOnce(phase);
                System.out.println("sticky: " + (r == null ? phase + ": renewal not caught in flight" : r));
                if (r != null && r.changes().isEmpty()) {
                    break;
                }
                if (r != null) {
                    assertThat(r.spoiled())
                            .as("leases changed across the pause (%s); pa's warnings:%n%s", r, warnings(pa))
                            .isTrue();
                }
                assertThat(spoiled)
                        .as("%s: rounds in a row spoiled by the host or not at the phase", phase)
                        .isLessThan(SPOILED_MAX);
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
