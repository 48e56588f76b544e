package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Scaling out: two shard processes serve subscribers on two gateways while a writer writes
 * continuously; a third shard process joins. Rendezvous hashing hands it about a third of the
 * partitions: their old owners release them and tell the gateways, which re-attach each moved
 * subscription to the new owner with the eid of the last frame queued. The new owner loads the
 * partition with its history, so the intended behaviour is a seamless resume (splice, then
 * {@code ready resumed:true}), not a reset: this test holds the code to that, and to every window
 * ending equal to the one-shot query with every frame applying cleanly.
 */
@Cluster
@Slow
class AddShardTest {
    static final Duration TTL = Duration.ofSeconds(3); // the default: the move does not wait for it
    static final List<String> BEFORE = List.of("ad", "bd");
    static final List<String> AFTER = List.of("ad", "bd", "cd");

    @Test
    void partitionsMoveToANewShardAndEveryWindowResumes() throws Exception {
        // Tables chosen so that some partitions move to the new shard "cd" and some stay.
        List<String> moving = new ArrayList<>();
        List<String> staying = new ArrayList<>();
        for (int i = 0; moving.size() < 3 || staying.size() < 2; i++) {
            String t = "as" + i;
            int p = Keys.partition(t);
            boolean moves = "cd".equals(Membership.owner(p, AFTER));
            if (moves && moving.size() < 3 && moving.stream().noneMatch(m -> Keys.partition(m) == p)) {
                moving.add(t);
            } else if (!moves && staying.size() < 2 && staying.stream().noneMatch(m -> Keys.partition(m) == p)) {
                staying.add(t);
            }
        }
        List<String> tables = new ArrayList<>(moving);
        tables.addAll(staying);

        List<ShardProcess> shards = new ArrayList<>();
        try (RedisProcess redis = RedisProcess.start(false);
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            for (String id : BEFORE) {
                shards.add(ShardProcess.start(id, redis.uri(), TTL));
            }
            try (RedisBackend gwA =
                            new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwAddA", new SimpleMeterRegistry());
                    RedisBackend gwB =
                            new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwAddB", new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> gwA.gauges().get("live_shards") == 2
                                && gwB.gauges().get("live_shards") == 2
                                && owners(direct, tables, BEFORE));
                List<Client> clients = new ArrayList<>();
                List<Query> queries = new ArrayList<>();
                List<String> clientTables = new ArrayList<>();
                for (String t : tables) {
                    for (int i = 0; i < 30; i++) {
                        gwA.put(t, "r" + i, row("{\"n\":" + i + ",\"odd\":" + (i % 2 == 1) + "}"), null);
                    }
                    Query q1 = query("{\"table\":\"" + t + "\",\"order\":[{\"field\":\"n\"}],\"limit\":10}");
                    Query q2 = query("{\"table\":\"" + t + "\",\"where\":{\"odd\":true},\"order\":[{\"field\":\"n\","
                            + "\"dir\":\"desc\"}],\"limit\":7}");
                    for (Query q : List.of(q1, q2)) {
                        for (RedisBackend gw : List.of(gwA, gwB)) {
                            clients.add(new Client(gw.subscribe(q, null, () -> {})));
                            queries.add(q);
                            clientTables.add(t);
                        }
                    }
                }
                converge(clients, queries, gwA, Duration.ofSeconds(20));

                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger writes = new AtomicInteger();
                AtomicInteger failures = new AtomicInteger();
                Thread writer = Thread.ofVirtual().start(() -> {
                    // Paced and bounded: continuous changes without overflowing any client's queue.
                    for (int w = 1; w <= 20_000 && !stop.get(); w++) {
                        String t = tables.get(w % tables.size());
                        RedisBackend gw = w % 2 == 0 ? gwA : gwB;
                        int id = (w * 7) % 40;
                        int n = (w * 13) % 50;
                        try {
                            if (w % 11 == 0) {
                                try {
                                    gw.delete(t, "r" + id, null);
                                } catch (dev.livequery.core.LiveQueryException absent) {
                                    if (absent.code() != dev.livequery.core.LiveQueryException.Code.NOT_FOUND) {
                                        throw absent;
                                    }
                                }
                            } else {
                                gw.put(
                                        t,
                                        "r" + id,
                                        row("{\"n\":" + n + ",\"odd\":" + (n % 2 == 1) + ",\"w\":" + w + "}"),
                                        null);
                            }
                        } catch (Exception e) {
                            failures.incrementAndGet();
                        }
                        writes.incrementAndGet();
                        LockSupport.parkNanos(3_000_000L);
                    }
                });
                try {
                    await().atMost(Duration.ofSeconds(20)).until(() -> writes.get() > 100);
                    int writesBefore = writes.get();
                    shards.add(ShardProcess.start("cd", redis.uri(), TTL));
                    await("the moving partitions are leased by the new shard")
                            .atMost(Duration.ofSeconds(20))
                            .pollInterval(Duration.ofMillis(50))
                            .until(() -> owners(direct, tables, AFTER));
                    // The moved subscriptions are served by the new shard: it loaded their partitions.
                    ShardProcess added = shards.get(2);
                    await("the new shard loaded the moved partitions")
                            .atMost(Duration.ofSeconds(20))
                            .until(() -> moving.stream()
                                    .allMatch(t -> log(added).contains("loaded partition " + Keys.partition(t) + " ")));
                    await("the moved subscriptions resumed")
                            .atMost(Duration.ofSeconds(20))
                            .until(() -> {
                                for (int i = 0; i < clients.size(); i++) {
                                    if (moving.contains(clientTables.get(i))
                                            && clients.get(i).poll().resumedReadies() == 0) {
                                        return false;
                                    }
                                }
                                return true;
                            });
                    int writesAtMove = writes.get();
                    await().atMost(Duration.ofSeconds(20)).until(() -> writes.get() > writesAtMove + 100);
                    stop.set(true);
                    assertThat(writer.join(Duration.ofSeconds(30))).isTrue();
                    assertThat(failures.get()).as("failed writes").isZero();
                    converge(clients, queries, gwA, Duration.ofSeconds(20));

                    List<String> causes = new ArrayList<>();
                    int resumed = 0;
                    for (int i = 0; i < clients.size(); i++) {
                        Client c = clients.get(i);
                        assertThat(c.violations())
                                .as("client %d on %s", i, clientTables.get(i))
                                .isEmpty();
                        causes.addAll(c.resets());
                        resumed += c.resumedReadies();
                        if (staying.contains(clientTables.get(i))) {
                            assertThat(c.resumedReadies())
                                    .as("client %d on unmoved %s", i, clientTables.get(i))
                                    .isZero();
                        }
                    }
                    assertThat(log(shards.get(0)) + log(shards.get(1))).contains("moved");
                    System.out.printf(
                            "add shard: moved tables %s (partitions %s), stayed %s; writes %d before, %d in all;"
                                    + " resets %s; resumed readies %d%n",
                            moving,
                            moving.stream().map(Keys::partition).toList(),
                            staying,
                            writesBefore,
                            writes.get(),
                            causes,
                            resumed);
                    // No client was reset: the moved ones resumed on the new owner, the others never noticed.
                    assertThat(causes).containsOnly("subscribe");
                    assertThat(causes).hasSize(clients.size());
                } finally {
                    stop.set(true);
                    writer.join(Duration.ofSeconds(30));
                }
            }
        } finally {
            for (ShardProcess s : shards) {
                s.close();
            }
        }
    }

    /** Every table's partition is leased by the shard rendezvous hashing picks among {@code live}. */
    static boolean owners(Redis direct, List<String> tables, List<String> live) {
        for (String t : tables) {
            int p = Keys.partition(t);
            String v = direct.cmd().get(Keys.owner(p));
            if (v == null || !v.substring(0, v.lastIndexOf('/')).equals(Membership.owner(p, live))) {
                return false;
            }
        }
        return true;
    }

    static String log(ShardProcess s) {
        try {
            return Files.readString(s.log);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    static void converge(List<Client> clients, List<Query> queries, RedisBackend gw, Duration max) {
        await().atMost(max).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (int i = 0; i < clients.size(); i++) {
                Client c = clients.get(i).poll();
                assertThat(c.violations()).as("client %d", i).isEmpty();
                assertThat(c.window())
                        .as("client %d on %s", i, queries.get(i).shape())
                        .isEqualTo(truth(gw, queries.get(i)));
                assertThat(c.ready()).isTrue();
            }
        });
    }
}
