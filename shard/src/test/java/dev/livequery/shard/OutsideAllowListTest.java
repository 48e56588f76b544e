package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Keys;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Logged;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A partition holding a table outside the shard's {@code livequery.tables.allow} (written before
 * the list was narrowed, or by a gateway given another list): the shard serves the partition's
 * other tables and says once, at WARNING, which it left out (and once of such a table first written
 * after the load: not at each of its writes). Before, the load failed on that table, so every
 * subscribe to any table of the partition was refused {@code unknown_table} naming the other
 * table, and the shard logged nothing.
 */
@Cluster
class OutsideAllowListTest {
    static final String KEPT = KeptTable.NAME;

    @Test
    void aTableOutsideTheAllowListDoesNotKeepItsPartitionFromLoading() throws Exception {
        String outside = sharingPartitionWith(KEPT);
        Logged logged = Logged.by("dev.livequery.shard.cluster");
        try (RedisProcess redis = RedisProcess.start(false);
                // The gateway allows any table; the shard only KEPT.
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwA", new SimpleMeterRegistry());
                Shard shard = new Shard(
                        new Shard.Config("al1", redis.uri(), Fixtures.OPTIONS.withTables(Set.of(KEPT)), 2000, 10_000),
                        new SimpleMeterRegistry())) {
            gw.put(outside, "o", row("{\"n\":1}"), null);
            gw.put(KEPT, "a", row("{\"n\":1}"), null);
            Client c = KeptTable.subscribeOnceServed(gw, shard);
            // The tail feeds the partition on past a change of the table it left out.
            gw.put(outside, "o2", row("{\"n\":2}"), null);
            // ... and of one written first after the load, said once too, not at every write.
            String later = sharingPartitionWith(KEPT, outside);
            gw.put(later, "l1", row("{\"n\":1}"), null);
            gw.put(later, "l2", row("{\"n\":2}"), null);
            gw.put(KEPT, "b", row("{\"n\":2}"), null);
            KeptTable.awaitExact(c, gw, 2);

            assertThat(warningsAbout(logged.records(), outside))
                    .as("the shard's WARNING lines naming the table left out")
                    .hasSize(1)
                    .allSatisfy(m -> assertThat(m)
                            .contains("partition " + Keys.partition(KEPT))
                            .contains("shard option --tables")
                            .doesNotContain("engine refuses"));
            assertThat(warningsAbout(logged.records(), later))
                    .as("the shard's WARNING lines naming the table written after the load")
                    .hasSize(1);
        } finally {
            logged.close();
        }
    }

    static List<String> warningsAbout(List<LogRecord> logged, String table) {
        return logged.stream()
                .filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogRecord::getMessage)
                .filter(m -> Pattern.compile("\\b" + table + "\\b").matcher(m).find())
                .filter(m -> m.contains("livequery.tables.allow"))
                .toList();
    }

    /** A table name in the same partition as {@code table}, other than {@code not}. */
    static String sharingPartitionWith(String table, String... not) {
        for (int i = 0; ; i++) {
            String t = "out" + i;
            if (Keys.partition(t) == Keys.partition(table) && !List.of(not).contains(t)) {
                return t;
            }
        }
    }
}
