package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LocalBackend;
import dev.livequery.core.Query;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.PostgresProcess;
import dev.livequery.testkit.process.TcpProxy;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Postgres unreachable for longer than Debezium's own task restart waits. A refused connection
 * Debezium retries itself, but one that is accepted and then closed (EOF: a server going down or
 * not up yet, as during a restart) fails the restarted task's start-up for good, and the engine
 * stops. The source must rebuild it (not fail) and resume exactly after the last applied
 * transaction once Postgres is back. The source goes through a {@link TcpProxy} that plays the
 * outage; its own server, since it also stops it.
 */
@Slow
class PostgresSourceOutageTest {
    PostgresProcess pg;
    TcpProxy proxy;

    @BeforeEach
    void startPostgres() throws Exception {
        pg = PostgresProcess.start();
        proxy = new TcpProxy(pg.port());
    }

    @AfterEach
    void stopPostgres() throws Exception {
        try {
            proxy.close();
        } finally {
            pg.close();
        }
    }

    @Test
    void aSourceOutlivesPostgresBeingDownAndResumesWithoutGapOrDuplicate() throws Exception {
        sql("create table items (id int primary key, v int)", "insert into items values (1, 1), (2, 2)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            sql("begin; insert into items values (3, 3); update items set v = 10 where id = 1; commit");
            await().atMost(Duration.ofSeconds(30)).until(() -> ids(b).contains("3"));
            // committed just before the stop: the source may or may not have them yet
            sql("insert into items values (4, 4)", "delete from items where id = 2");

            // Debezium restarts its task; a connection refused first thing it retries itself, but
            // when the task's first connection gets through and its second (the type registry's)
            // reads EOF, the engine stops. Down until a rebuilt engine has stopped that way too
            // (before the fix, the source failed for good the first time).
            proxy.refuseEveryOther();
            proxy.dropAll();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> src.state() == PostgresSource.State.FAILED
                            || src.gauges().get("source_reconnects") != null
                                    && src.gauges().get("source_reconnects") >= 2
                                    && src.state() == PostgresSource.State.RECONNECTING);
            assertThat(src.state())
                    .as("source state after Postgres went down; error: %s", src.error())
                    .isEqualTo(PostgresSource.State.RECONNECTING);

            // committed during the outage: must arrive, once
            sql("update items set v = 11 where id = 1");
            pg.stop(); // and Postgres itself goes down and comes back while the source retries
            pg.startAgain();
            proxy.admitAll();
            sql(
                    "begin; insert into items values (5, 5), (6, 6); update items set v = 30 where id = 3; commit",
                    "update items set v = 40 where id = 4");
            await().atMost(Duration.ofSeconds(90))
                    .untilAsserted(() -> assertThat(rows(b)).isEqualTo(ClusterSourceSlotTest.postgresRows(pg)));
            await().atMost(Duration.ofSeconds(30)).until(() -> src.state() == PostgresSource.State.STREAMING);
            // (insert, update), insert, delete, update, (2 inserts, update), update
            assertThat(src.gauges())
                    .containsEntry("source_transactions", 6L)
                    .containsEntry("source_changes", 9L)
                    .containsEntry("source_snapshots", 1L);
            assertThat(src.error()).isNull();
        }
    }

    /**
     * Postgres unreachable while Debezium retries by itself (a refused connection: its engine
     * keeps running, so nothing stops): no record arrives, not even a heartbeat, and the source
     * must not keep saying it streams. It says reconnecting (health, the streaming gauge, a
     * WARNING) and streaming again once records flow.
     */
    @Test
    void aSourceThatHearsNothingSaysSoAndRecovers() throws Exception {
        sql("create table items (id int primary key, v int)", "insert into items values (1, 1)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(), b)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> src.state() == PostgresSource.State.STREAMING);
            proxy.cut();
            sql("insert into items values (2, 2)");
            await().atMost(Duration.ofSeconds(60)).until(() -> src.state() != PostgresSource.State.STREAMING);
            assertThat(src.state()).isEqualTo(PostgresSource.State.RECONNECTING);
            assertThat(src.health()).containsEntry("state", "reconnecting");
            assertThat(src.gauges()).containsEntry("source_streaming", 0L);
            assertThat(src.ready())
                    .as("its tables are exact as of its position")
                    .isTrue();

            proxy.heal();
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> assertThat(rows(b)).isEqualTo(ClusterSourceSlotTest.postgresRows(pg)));
            await().atMost(Duration.ofSeconds(30)).until(() -> src.state() == PostgresSource.State.STREAMING);
            assertThat(src.error()).isNull();
        }
    }

    /**
     * The slot dropped (an operator's cleanup, a failover to a server without it) or invalidated
     * (max_slot_wal_keep_size) while the source could not reach Postgres: the changes committed
     * meanwhile are gone. The source must fail with a line that says so and what to do, not
     * stream on past the gap, nor stop with Debezium's dump of its offset.
     */
    @ParameterizedTest
    @EnumSource(ClusterSourceSlotTest.Loss.class)
    void aSlotLostWhileDisconnectedFailsTheSourceInsteadOfSkippingChanges(ClusterSourceSlotTest.Loss loss)
            throws Exception {
        sql("create table items (id int primary key, v int)", "insert into items values (1, 1)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            sql("insert into items values (2, 2)");
            await().atMost(Duration.ofSeconds(30)).until(() -> ids(b).contains("2"));

            proxy.cut();
            await().atMost(Duration.ofSeconds(30)).until(() -> slotActive().equals(List.of(false)));
            sql("insert into items values (3, 3)");
            ClusterSourceSlotTest.lose(pg, loss);
            proxy.heal();
            sql("insert into items values (4, 4)");

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> src.state() == PostgresSource.State.FAILED || ids(b).contains("4"));
            assertThat(ids(b))
                    .as("streamed on past the gap (row 3 was committed while the slot was gone)")
                    .doesNotContain("4");
            assertThat(src.state()).isEqualTo(PostgresSource.State.FAILED);
            assertThat(src.error())
                    .startsWith("source_slot_lost: replication slot livequery ")
                    .contains(loss == ClusterSourceSlotTest.Loss.DROPPED ? "is gone" : "was invalidated")
                    .contains("restart the gateway");
            assertThat(new SourcedBackend(b, src).ready()).isFalse();
        }
    }

    /** Whether the slot is active, per slot named livequery (empty: no slot). */
    List<Boolean> slotActive() throws Exception {
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

    void sql(String... statements) throws Exception {
        pg.execute(statements);
    }

    static List<String> rows(LocalBackend b) throws Exception {
        List<String> out = new ArrayList<>();
        for (var r : b.query(Query.parse(new ObjectMapper().readTree("{\"table\":\"items\",\"limit\":100}")))
                .rows()) {
            out.add(r.id() + "=" + r.data().get("v").asInt());
        }
        out.sort(null); // ids are one digit: text order is Postgres' numeric order
        return out;
    }

    static List<String> ids(LocalBackend b) throws Exception {
        return rows(b).stream().map(s -> s.substring(0, s.indexOf('='))).toList();
    }

    PostgresSourceConfig config() throws SourceException {
        Map<String, String> m = new HashMap<>();
        m.put("livequery.sources.postgres.url", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/postgres");
        m.put("livequery.sources.postgres.user", "postgres");
        m.put("livequery.sources.postgres.tables.0.source", "public.items");
        m.put("livequery.sources.postgres.tables.0.table", "items");
        return PostgresSourceConfig.from(Config.just(ConfigSources.create(m)).get("livequery.sources.postgres"));
    }
}
