package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.EngineOptions;
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
 * A cluster-mode holder that must snapshot (no stored position) drops the slot it finds; the
 * line saying so must say why in cluster mode, not repeat embedded mode's reason (which names an
 * "earlier run" and a position "in memory": neither is what happened).
 */
@Slow
@Cluster
class ClusterSourceSlotLogTest {
    @Test
    void aClusterHolderDroppingTheSlotToSnapshotSaysSoInClusterTerms() throws Exception {
        Logged logged = Logged.by(Catalog.class);
        try (PostgresProcess pg = PostgresProcess.start();
                RedisProcess server = RedisProcess.start(false)) {
            ClusterSourceSlotTest.sql(
                    pg,
                    "create table items (id int primary key, v int)",
                    "insert into items values (1, 1)",
                    // left by an earlier cluster whose positions are gone (Redis emptied, say)
                    "select pg_create_logical_replication_slot('livequery', 'pgoutput')");
            ClusterSource a = ClusterSource.attach(
                    ClusterSourceSlotTest.node(pg), server.uri(), EngineOptions.defaults(), "gw-a");
            try {
                await().atMost(Duration.ofSeconds(60)).until(a::streaming);
            } finally {
                a.close();
            }
            List<String> dropped = logged.messages(Level.ALL).stream()
                    .filter(l -> l.startsWith("dropped"))
                    .toList();
            assertThat(dropped).hasSize(1);
            assertThat(dropped.getFirst())
                    .contains("replication slot livequery")
                    .contains("cluster mode")
                    .doesNotContain("embedded mode")
                    .doesNotContain("earlier run");
        } finally {
            logged.close();
        }
    }
}
