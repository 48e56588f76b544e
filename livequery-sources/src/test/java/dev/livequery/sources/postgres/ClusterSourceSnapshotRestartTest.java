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
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A snapshot cut short by an internal restart of Debezium's task (the connection reading the
 * table terminated): Debezium takes it again on the slot the first attempt created, with rows
 * changed in between (committed after the slot's start, before the second snapshot) and after.
 * Redis must then hold Postgres' rows, once the snapshot is in and again after a later
 * transaction (no change of the first attempt's window applied twice or lost).
 */
@Slow
@Cluster
class ClusterSourceSnapshotRestartTest {
    /** Enough rows that the snapshot is still reading when it is cut. */
    static final int ROWS = 60_000;

    @Test
    void aSnapshotRetakenAfterATaskRestartOnTheSameSlotGivesPostgresRows() throws Exception {
        try (PostgresProcess pg = PostgresProcess.start();
                RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2));
                Connection c = pg.connect();
                Statement s = c.createStatement()) {
            RowStore store = new RowStore(redis, EngineOptions.defaults());
            pg.execute(
                    "create schema r",
                    "create table r.t (id int primary key, n int, body text, doc jsonb)",
                    "insert into r.t select i, 0, 'b' || i, null from generate_series(0, " + ROWS + ") i");
            ClusterSource src =
                    ClusterSource.attach(SourceOracle.node(pg, "r", "t"), server.uri(), EngineOptions.defaults(), "gw");
            try {
                long reader = await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(5))
                        .until(() -> snapshotReader(s), pid -> pid > 0);
                Random rnd = new Random(7);
                for (int i = 0; i < 20; i++) {
                    s.execute("update r.t set n = n + 1 where id = " + (1 + rnd.nextInt(ROWS)));
                    s.execute("delete from r.t where id = " + (1 + rnd.nextInt(ROWS)));
                    s.execute("insert into r.t values (" + (ROWS + 1 + i) + ", 1, 'x', null)");
                }
                try (ResultSet r = s.executeQuery("select pg_terminate_backend(" + reader + ")")) {
                    assertThat(r.next() && r.getBoolean(1))
                            .as("the snapshot's reader was cut")
                            .isTrue();
                }
                for (int i = 0; i < 20; i++) {
                    s.execute("update r.t set n = n + 1 where id = " + (1 + rnd.nextInt(ROWS)));
                    s.execute("delete from r.t where id = " + (1 + rnd.nextInt(ROWS)));
                }
                s.execute("update r.t set n = 99 where id = 0");
                await().atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> marker(store) == 99);
                assertThat(redisRows(store)).as("when row 0 arrived").isEqualTo(postgresRows(s));
                await().atMost(Duration.ofSeconds(60)).until(src::streaming);
                s.execute("update r.t set n = 100 where id = 0");
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> marker(store) == 100);
                assertThat(redisRows(store)).as("after a later transaction").isEqualTo(postgresRows(s));
                assertThat(src.gauges()).containsEntry("source_snapshots", 1L);
            } finally {
                src.close();
            }
        }
    }

    /**
     * The backend Debezium's snapshot reads r.t on, or -1. It reads with a cursor, and between two
     * fetches the backend is "idle in transaction" (the snapshot's transaction is open until the
     * snapshot ends, then it is "idle"): looking for "active" only, a CI run on a busy machine
     * never saw it in the 5 s the snapshot took.
     */
    static long snapshotReader(Statement s) throws Exception {
        try (ResultSet r = s.executeQuery("select pid from pg_stat_activity where query ilike '%from%\"r\".\"t\"%'"
                + " and pid <> pg_backend_pid() and state in ('active', 'idle in transaction')")) {
            return r.next() ? r.getLong(1) : -1;
        }
    }

    static int marker(RowStore store) {
        try {
            Row r = store.get("t", "0");
            return r == null ? -1 : r.data().get("n").asInt();
        } catch (Exception e) {
            return -1;
        }
    }

    static List<String> redisRows(RowStore store) throws Exception {
        List<String> out = new ArrayList<>();
        for (Row r : store.table("t").rows()) {
            out.add(r.id() + "=" + r.data().get("n").asInt() + "/"
                    + r.data().get("body").asText());
        }
        out.sort(null);
        return out;
    }

    static List<String> postgresRows(Statement s) throws Exception {
        List<String> out = new ArrayList<>();
        try (ResultSet r = s.executeQuery("select id, n, body from r.t")) {
            while (r.next()) {
                out.add(r.getInt(1) + "=" + r.getInt(2) + "/" + r.getString(3));
            }
        }
        out.sort(null);
        return out;
    }
}
