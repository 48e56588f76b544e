package dev.livequery.sources.postgres;

import static dev.livequery.sources.postgres.ClusterSourceSlotTest.lose;
import static dev.livequery.sources.postgres.ClusterSourceSlotTest.node;
import static dev.livequery.sources.postgres.ClusterSourceSlotTest.postgresRows;
import static dev.livequery.sources.postgres.ClusterSourceSlotTest.redisRows;
import static dev.livequery.sources.postgres.ClusterSourceSlotTest.slotActive;
import static dev.livequery.sources.postgres.ClusterSourceSlotTest.sql;
import static dev.livequery.sources.postgres.ClusterSourceSlotTest.streamedByAFirstHolder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.EngineOptions;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.PostgresProcess;
import dev.livequery.testkit.process.RedisProcess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cluster mode when a holder snapshots while Redis already holds the fed tables: the snapshot
 * replaces them whatever Redis held, also when the new slot's LSNs are below the stored positions
 * (Redis outlived the Postgres cluster) and when every fed table is empty (Debezium then sends no
 * snapshot record at all).
 */
@Slow
@Cluster
class ClusterSourceSnapshotTest {
    @Test
    void aSnapshotOfAnotherClusterWithLowerLsnsReplacesTheRowsInRedis() throws Exception {
        try (RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2))) {
            RowStore rows = new RowStore(redis, EngineOptions.defaults());
            try (PostgresProcess first = PostgresProcess.start()) {
                sql(first, "create table items (id int primary key, v int)", "insert into items values (1, 1)");
                // Moves the first cluster's WAL well past where the second one will be.
                for (int i = 0; i < 4; i++) {
                    sql(
                            first,
                            "insert into items values (100, 0)",
                            "delete from items where id = 100",
                            "select pg_switch_wal()");
                }
                streamedByAFirstHolder(first, server.uri(), rows);
            }
            // Postgres restored into a new cluster: no slot, a new history, lower LSNs.
            try (PostgresProcess second = PostgresProcess.start()) {
                sql(
                        second,
                        "create table items (id int primary key, v int)",
                        "insert into items values (1, 7), (3, 3)");
                ClusterSource b = ClusterSource.attach(node(second), server.uri(), EngineOptions.defaults(), "gw-b");
                try {
                    await().atMost(Duration.ofSeconds(60))
                            .untilAsserted(() -> assertThat(redisRows(rows))
                                    .as("Redis against Postgres; source: %s", b.health())
                                    .isEqualTo(List.of("1=7", "3=3")));
                    await().atMost(Duration.ofSeconds(30)).until(b::streaming);
                    sql(second, "insert into items values (4, 4)");
                    await().atMost(Duration.ofSeconds(30))
                            .untilAsserted(() -> assertThat(redisRows(rows)).isEqualTo(postgresRows(second)));
                    assertThat(b.gauges()).containsEntry("source_snapshots", 1L);
                } finally {
                    b.close();
                }
            }
        }
    }

    @Test
    void anEmptySnapshotEmptiesTheFedTablesInRedis() throws Exception {
        try (PostgresProcess pg = PostgresProcess.start();
                RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2))) {
            sql(pg, "create table items (id int primary key, v int)", "insert into items values (1, 1)");
            RowStore rows = new RowStore(redis, EngineOptions.defaults());
            streamedByAFirstHolder(pg, server.uri(), rows);
            await().atMost(Duration.ofSeconds(30)).until(() -> slotActive(pg).equals(List.of(false)));
            // Emptied while no gateway streams, and the slot lost: the next holder snapshots nothing.
            sql(pg, "delete from items");
            lose(pg, ClusterSourceSlotTest.Loss.DROPPED);

            ClusterSource b = ClusterSource.attach(node(pg), server.uri(), EngineOptions.defaults(), "gw-b");
            try {
                await().atMost(Duration.ofSeconds(60))
                        .untilAsserted(() -> assertThat(redisRows(rows))
                                .as("Redis against Postgres; source: %s", b.health())
                                .isEmpty());
                await().atMost(Duration.ofSeconds(30)).until(b::streaming);
                assertThat(b.gauges()).containsEntry("source_snapshots", 1L);
                sql(pg, "insert into items values (5, 5)");
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> assertThat(redisRows(rows)).isEqualTo(List.of("5=5")));
            } finally {
                b.close();
            }
        }
    }
}
