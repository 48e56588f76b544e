package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.EngineOptions;
import dev.livequery.core.Row;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.PostgresProcess;
import dev.livequery.testkit.process.RedisProcess;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cluster mode when the replication slot is gone (dropped, or invalidated by
 * {@code max_slot_wal_keep_size}) while no gateway streamed it: the positions stored in Redis name
 * a point the new slot cannot go back to. Resuming would fail for ever (each holder in turn, the
 * tables stale while every gateway reports ready); the holder must snapshot again instead, as a
 * first start does, so the tables match Postgres.
 */
@Slow
@Cluster
class ClusterSourceSlotTest {
    /** How the slot loses the stored positions' changes. */
    enum Loss {
        DROPPED,
        /** {@code max_slot_wal_keep_size} exceeded: Postgres removes the WAL and invalidates the slot. */
        INVALIDATED
    }

    @ParameterizedTest
    @EnumSource(Loss.class)
    void aHolderThatFindsTheSlotLostSnapshotsAgain(Loss loss) throws Exception {
        try (PostgresProcess pg = PostgresProcess.start();
                RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2))) {
            sql(pg, "create table items (id int primary key, v int)", "insert into items values (1, 1)");
            RowStore rows = new RowStore(redis, EngineOptions.defaults());
            streamedByAFirstHolder(pg, server.uri(), rows);
            await().atMost(Duration.ofSeconds(30)).until(() -> slotActive(pg).equals(List.of(false)));
            // Lost while no gateway streams: committed meanwhile, and after.
            sql(pg, "insert into items values (3, 3)");
            lose(pg, loss);
            sql(pg, "update items set v = 10 where id = 1");

            ClusterSource b = ClusterSource.attach(node(pg), server.uri(), EngineOptions.defaults(), "gw-b");
            try {
                await().atMost(Duration.ofSeconds(60))
                        .untilAsserted(() -> assertThat(redisRows(rows))
                                .as("Redis against Postgres; source: %s", b.health())
                                .isEqualTo(postgresRows(pg)));
                await().atMost(Duration.ofSeconds(30)).until(b::streaming);
                sql(pg, "insert into items values (4, 4)");
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> assertThat(redisRows(rows)).isEqualTo(postgresRows(pg)));
                assertThat(b.gauges()).containsEntry("source_snapshots", 1L).containsEntry("source_slot_lost", 1L);
            } finally {
                b.close();
            }
        }
    }

    /** Drops or invalidates the slot livequery (idle), returning once Postgres shows it so. */
    /**
     * A first holder streams {@code items} until Redis holds rows 1 and 2 (1 there before it, 2
     * inserted while it streams), then stops: where the tests of a later holder begin.
     */
    static void streamedByAFirstHolder(PostgresProcess pg, String redis, RowStore rows) throws Exception {
        ClusterSource a = ClusterSource.attach(node(pg), redis, EngineOptions.defaults(), "gw-a");
        try {
            await().atMost(Duration.ofSeconds(60)).until(a::streaming);
            sql(pg, "insert into items values (2, 2)");
            await().atMost(Duration.ofSeconds(30)).until(() -> redisRows(rows).equals(List.of("1=1", "2=2")));
        } finally {
            a.close();
        }
    }

    static void lose(PostgresProcess pg, Loss loss) throws Exception {
        if (loss == Loss.DROPPED) {
            sql(pg, "select pg_drop_replication_slot('livequery')");
            return;
        }
        sql(pg, "alter system set max_slot_wal_keep_size = '1MB'", "select pg_reload_conf()");
        // Each round fills a WAL segment and checkpoints, which removes what the slot holds.
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            sql(pg, "insert into items select 100, 0", "delete from items where id = 100", "select pg_switch_wal()");
            sql(pg, "checkpoint");
            return walStatus(pg).equals("lost");
        });
        sql(pg, "alter system reset max_slot_wal_keep_size", "select pg_reload_conf()");
    }

    static String walStatus(PostgresProcess pg) throws Exception {
        try (Connection c = pg.connect();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery(
                        "select coalesce(wal_status, '') from pg_replication_slots where slot_name = 'livequery'")) {
            return r.next() ? r.getString(1) : "none";
        }
    }

    static Config node(PostgresProcess pg) {
        Map<String, String> m = new HashMap<>();
        m.put("livequery.sources.postgres.url", pg.jdbcUrl());
        m.put("livequery.sources.postgres.user", "postgres");
        m.put("livequery.sources.postgres.tables.0.source", "public.items");
        m.put("livequery.sources.postgres.tables.0.table", "items");
        return Config.just(ConfigSources.create(m)).get("livequery.sources.postgres");
    }

    static void sql(PostgresProcess pg, String... statements) throws Exception {
        pg.execute(statements);
    }

    static List<String> postgresRows(PostgresProcess pg) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = pg.connect();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select id, v from items order by id")) {
            while (r.next()) {
                out.add(r.getInt(1) + "=" + r.getInt(2));
            }
        }
        return out;
    }

    static List<String> redisRows(RowStore rows) throws Exception {
        List<String> out = new ArrayList<>();
        for (Row r : rows.table("items").rows()) {
            out.add(r.id() + "=" + r.data().get("v").asInt());
        }
        out.sort(null); // ids are one digit: text order is Postgres' numeric order
        return out;
    }

    static List<Boolean> slotActive(PostgresProcess pg) throws Exception {
        List<Boolean> out = new ArrayList<>();
        try (Connection c = pg.connect();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select active from pg_replication_slots where slot_name = 'livequery'")) {
            while (r.next()) {
                out.add(r.getBoolean(1));
            }
        }
        return out;
    }
}
