package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.sources.postgres.SqlScenario.Image;
import dev.livequery.sources.postgres.SqlScenario.Runner;
import dev.livequery.sources.postgres.SqlScenario.Txn;
import dev.livequery.testkit.process.PostgresProcess;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Runs a {@link SqlScenario} against Postgres and a source fed from it, and compares the rows the
 * source delivered with {@code SELECT … ORDER BY id} at each quiescent point: after the snapshot
 * and after each round (once the round's marker arrived, the source has applied every
 * transaction before it, so the rows must be equal then and there, not eventually).
 */
final class SourceOracle {
    /** A running source and the rows it delivered. */
    interface Feed extends AutoCloseable {
        /** The fed table's rows as delivered, in any order; throws when there is no such table yet. */
        List<Image> rows() throws Exception;

        boolean failed();

        Object health();

        @Override
        void close() throws Exception;
    }

    /** Starts a source of {@code schema}.t with slot {@code slot_<schema>} and publication {@code pub_<schema>}. */
    interface Feeds {
        Feed start(String schema) throws Exception;
    }

    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    /**
     * Counts how often the source folded a transaction into an empty snapshot (the path only a
     * start on an empty table with a transaction right behind it reaches): printed, not asserted,
     * as it depends on timing.
     */
    static final AtomicInteger SNAPSHOTS_WITH_A_TRANSACTION = new AtomicInteger();

    private static final Handler COUNTER = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getMessage() != null && r.getMessage().contains("before the transaction committed")) {
                SNAPSHOTS_WITH_A_TRANSACTION.incrementAndGet();
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    static {
        Logger.getLogger(Transactions.class.getName()).addHandler(COUNTER);
    }

    private SourceOracle() {}

    static void check(PostgresProcess pg, SqlScenario sc, Feeds feeds) throws Exception {
        String schema = "o" + SCHEMAS.incrementAndGet();
        try (Connection c = pg.connect()) {
            Runner run = new Runner(c, schema + ".t");
            run.exec("create schema " + schema);
            run.create();
            if (!sc.emptyStart()) {
                run.transaction(sc.initial(), true);
                run.marker(0);
            }
            try (Feed f = feeds.start(schema)) {
                if (sc.emptyStart()) {
                    // Right once the slot exists: the first transaction is likely the first record
                    // after a snapshot that had no row (before Debezium's first heartbeat).
                    await().atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofMillis(5))
                            .until(() -> slots(c, "slot_" + schema) == 1);
                } else {
                    quiescent(run, f, 0);
                }
                for (int r = 0; r < sc.rounds().size(); r++) {
                    for (Txn t : sc.rounds().get(r)) {
                        run.transaction(t.ops(), t.commit());
                    }
                    run.marker(r + 1);
                    quiescent(run, f, r + 1);
                }
            }
        }
    }

    private static void quiescent(Runner run, Feed f, int round) throws Exception {
        boolean arrived;
        try {
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> f.failed() || marker(f) == round);
            arrived = !f.failed();
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            arrived = false;
        }
        List<Image> delivered = delivered(f);
        String context = "round " + round + ", source " + f.health() + ", SQL run:\n" + run.transcript;
        assertThat(arrived)
                .as("the marker of %s arrived; delivered %s", context, delivered)
                .isTrue();
        assertThat(delivered).as("rows delivered after %s", context).isEqualTo(run.rows());
    }

    private static int marker(Feed f) {
        try {
            return f.rows().stream()
                    .filter(i -> i.id() == 0)
                    .mapToInt(i -> Integer.parseInt(i.n()))
                    .findFirst()
                    .orElse(-1);
        } catch (Exception e) {
            return -1;
        }
    }

    private static List<Image> delivered(Feed f) {
        try {
            List<Image> rows = new ArrayList<>(f.rows());
            rows.sort(Comparator.comparingInt(Image::id));
            return rows;
        } catch (Exception e) {
            return List.of();
        }
    }

    /** The source's configuration node for {@code schema}.t, fed as {@code table}. */
    static Config node(PostgresProcess pg, String schema, String table) {
        Map<String, String> m = new HashMap<>();
        m.put("livequery.sources.postgres.url", pg.jdbcUrl());
        m.put("livequery.sources.postgres.user", "postgres");
        m.put("livequery.sources.postgres.slot", "slot_" + schema);
        m.put("livequery.sources.postgres.publication", "pub_" + schema);
        m.put("livequery.sources.postgres.tables.0.source", schema + ".t");
        m.put("livequery.sources.postgres.tables.0.table", table);
        m.put("livequery.sources.postgres.tables.0.id", "id");
        return Config.just(ConfigSources.create(m)).get("livequery.sources.postgres");
    }

    private static int slots(Connection c, String slot) throws Exception {
        try (java.sql.Statement s = c.createStatement();
                java.sql.ResultSet r =
                        s.executeQuery("select count(*) from pg_replication_slots where slot_name = '" + slot + "'")) {
            r.next();
            return r.getInt(1);
        }
    }

    /** Drops {@code slot} once no process streams it any more (a source stopping releases it shortly after). */
    static void dropSlot(PostgresProcess pg, String slot) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    try (Connection c = pg.connect();
                            java.sql.Statement s = c.createStatement()) {
                        s.execute(
                                "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '"
                                        + slot + "' and not active");
                        return slots(c, slot) == 0;
                    }
                });
    }
}
