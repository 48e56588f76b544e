package dev.livequery.sources.postgres;

import static dev.livequery.sources.postgres.ClusterSourceSlotTest.node;
import static dev.livequery.sources.postgres.ClusterSourceSlotTest.slotActive;
import static dev.livequery.sources.postgres.ClusterSourceSlotTest.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.EngineOptions;
import dev.livequery.redis.cluster.SourceLease;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.redis.store.SourceWrites;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Logged;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.PostgresProcess;
import dev.livequery.testkit.process.RedisProcess;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * A holder whose write Redis refuses with a newer fence (another gateway took the lease and
 * claimed the tables while this one could not renew: paused, cut off) stops saying owner at that
 * write, not at its next lease tick: two gateways saying owner at once is what the fence is there
 * to rule out. The lease is taken over here by hand, as a successor does (a newer lease value,
 * the table claimed with its fence), and the holder's TTL is long (a tick every minute), so that
 * only the fenced write, not a renewal, can tell it. The time is measured from the last moment at
 * which Redis had run no script of the holder's since the claim (its writes are scripts): its
 * first refused write came after that.
 */
@Slow
@Cluster
class ClusterSourceFencedTest {
    /** A tick every minute: only the first, which takes the lease, comes during the test. */
    private static final Duration TTL = Duration.ofMinutes(3);

    @Test
    void aFencedWriteEndsTheRoleAtOnceNotAtTheNextLeaseTick() throws Exception {
        try (PostgresProcess pg = PostgresProcess.start();
                RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2));
                Logged cluster = Logged.by(ClusterSource.class);
                Logged source = Logged.by(PostgresSource.class)) {
            sql(pg, "create table items (id int primary key, v int)", "insert into items values (1, 1)");
            long attached = System.nanoTime(); // the first tick, which takes the lease, comes at once
            ClusterSource a = ClusterSource.attach(node(pg), server.uri(), EngineOptions.defaults(), "gw-a", TTL);
            try {
                await().atMost(Duration.ofSeconds(60)).until(a::streaming);
                assertThat(a.health()).containsEntry("role", "owner");

                // A successor: the next lease value, and the table claimed with its fence. From
                // then on every write of the holder is refused; they are scripts, as the claim
                // is (its reads are not, and its lease thread does not tick during the test).
                long from = System.nanoTime();
                long scripts = scripts(redis) + 1; // and the claim's
                String held = redis.cmd().get(Keys.sourceOwner("livequery"));
                long fence = SourceLease.fence(held) + 1;
                redis.cmd().set(Keys.sourceFence("livequery"), Long.toString(fence));
                redis.cmd().set(Keys.sourceOwner("livequery"), "gw-b:" + fence);
                new SourceWrites(redis, new RowStore(redis, EngineOptions.defaults()), "livequery")
                        .claim("items", fence);
                cluster.clear();

                // A change for the holder to write (a Debezium heartbeat's write may come first).
                sql(pg, "insert into items values (2, 2)");
                // The last time at which Redis had run none of the holder's scripts: its first
                // fenced write was refused after that.
                long[] unwritten = {from};
                await("the holder says standby after its write was fenced")
                        .atMost(Duration.ofSeconds(10))
                        .pollDelay(Duration.ZERO)
                        .pollInterval(Duration.ofMillis(5))
                        .until(() -> {
                            long t = System.nanoTime();
                            if (scripts(redis) == scripts) {
                                unwritten[0] = t;
                            }
                            return "standby".equals(a.health().get("role"));
                        });
                Duration took = Duration.ofNanos(System.nanoTime() - unwritten[0]);
                System.out.println("standby at most " + took.toMillis() + " ms after the first fenced write");
                assertThat(Duration.ofNanos(System.nanoTime() - attached))
                        .as("no lease tick came meanwhile (every %s)", TTL.dividedBy(3))
                        .isLessThan(TTL.dividedBy(3));
                // ~10 ms here; the bound leaves room for a loaded machine, and is still far below
                // this test's lease tick (a minute), the only other way the holder could learn it.
                assertThat(took)
                        .as("standby within 2 s of the fenced write, not at the next lease tick")
                        .isLessThan(Duration.ofSeconds(2));
                assertThat(a.gauges()).containsEntry("source_owner", 0L).containsEntry("source_streaming", 0L);

                // It stops streaming (the successor needs the slot), says so once, and not as a failure.
                await("the holder's engine stopped and gave the slot up")
                        .atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> {
                            assertThat(a.health()).containsEntry("state", "standby");
                            assertThat(slotActive(pg)).isEqualTo(List.of(false));
                        });
                List<String> warnings = cluster.messages(Level.WARNING);
                assertThat(warnings).hasSize(1);
                assertThat(warnings.getFirst())
                        .contains("gw-a had a write refused")
                        .contains("fence " + fence)
                        .contains("a newer holder claimed the fed tables")
                        .contains("stops streaming");
                assertThat(source.messages(Level.SEVERE))
                        .as("a handover is no failure of the source")
                        .isEmpty();
                assertThat(a.health()).doesNotContainKey("error");
            } finally {
                a.close();
            }
        }
    }

    /** The scripts (EVALSHA, EVAL) Redis has run so far. */
    static long scripts(Redis redis) {
        long n = 0;
        for (String line : redis.cmd().info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                n += Long.parseLong(line.replaceAll(".*[:,]calls=(\\d+).*", "$1"));
            }
        }
        return n;
    }
}
