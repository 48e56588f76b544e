package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Logged;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * A partition holding a table whose name the engine refuses (PROTOCOL §1; written past the
 * gateways' checks, straight into the store): the shard serves the partition's other tables and
 * says once, at WARNING, which it left out, as for a table outside {@code livequery.tables.allow}
 * ({@link OutsideAllowListTest}). Before, the load failed on that table, so every subscribe to
 * any table of the partition was refused. A later write of it is skipped by the tail, not taken
 * for a change to reload the partition over.
 */
@Cluster
class BadTableNameTest {
    static final String KEPT = KeptTable.NAME;

    @Test
    void aTableWithABadNameDoesNotKeepItsPartitionFromLoading() throws Exception {
        String bad = badNameSharingPartitionWith(KEPT);
        Logged logged = Logged.by("dev.livequery.shard.cluster");
        try (RedisProcess redis = RedisProcess.start(false);
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwB", new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2));
                Shard shard = new Shard(
                        new Shard.Config("bn1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000),
                        new SimpleMeterRegistry())) {
            RowStore store = new RowStore(direct, Fixtures.OPTIONS);
            store.write(bad, List.of(new RowStore.Op("o", row("{\"n\":1}"), null)));
            gw.put(KEPT, "a", row("{\"n\":1}"), null);
            Client c = KeptTable.subscribeOnceServed(gw, shard);
            // The tail feeds the partition on past a change of the table it left out.
            store.write(bad, List.of(new RowStore.Op("o2", row("{\"n\":2}"), null)));
            gw.put(KEPT, "b", row("{\"n\":2}"), null);
            KeptTable.awaitExact(c, gw, 2);
            assertThat(c.resets()).as("no reload over the bad table's change").containsExactly("subscribe");

            List<String> about = logged.messages(Level.WARNING).stream()
                    .filter(m -> m.contains(bad))
                    .toList();
            assertThat(about)
                    .as("the shard's WARNING lines naming the table left out")
                    .singleElement()
                    .asString()
                    .contains("partition " + Keys.partition(KEPT))
                    .contains("a name the engine refuses")
                    .contains("written past the gateways' checks")
                    .contains("not served")
                    .as("advice for a table outside the allow list, which does not apply")
                    .doesNotContain("--tables")
                    .doesNotContain("livequery.tables.allow");
        } finally {
            logged.close();
        }
    }

    /** A table name the engine refuses (upper case), in the same partition as {@code table}. */
    static String badNameSharingPartitionWith(String table) {
        for (int i = 0; ; i++) {
            String t = "Bad" + i;
            if (Keys.partition(t) == Keys.partition(table)) {
                return t;
            }
        }
    }
}
