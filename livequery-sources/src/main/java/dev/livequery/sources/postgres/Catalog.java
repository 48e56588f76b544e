package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.SourceException.Code;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The start-up checks, run over plain JDBC before Debezium starts, so that every mistake an
 * operator can make in the database is one clear line at start and never a failure mid-stream:
 * logical WAL, each fed table fit to feed ({@link TableCheck}), the publication present (or
 * created) and sending every change of them ({@link PublicationCheck}), and the slot not streamed
 * by anyone else ({@link ReplicationSlot}). Also the connection every query of the source's own
 * is made on, with bounded timeouts, and embedded mode's slot drop at close. What the checks did
 * to the database (a publication created, a slot dropped) is logged here, one line each.
 */
final class Catalog {
    private static final Logger LOG = Logger.getLogger(Catalog.class.getName());

    private Catalog() {}

    /** What a start does with the replication slot. */
    enum Slot {
        /** Embedded mode: waits for it to be idle and drops it (its position is unknown here). */
        DROP_IDLE,
        /** Cluster mode, the lease holder: waits for it to be idle and resumes from it. */
        RESUME,
        /**
         * Cluster mode, a lease holder that must snapshot (a fed table without a stored position,
         * or the slot unable to replay from them): waits for it to be idle and drops it.
         */
        SNAPSHOT,
        /** Cluster mode, at start-up: another process may be streaming it; only the tables are checked. */
        IGNORE
    }

    static void check(PostgresSourceConfig config, Slot slot) throws SourceException {
        try (Connection c = connect(config)) {
            String wal = one(c, "show wal_level");
            if (!"logical".equals(wal)) {
                throw new SourceException(
                        Code.NOT_LOGICAL,
                        "wal_level is '" + wal + "' on " + JdbcUrls.redact(config.url())
                                + "; logical decoding needs wal_level=logical (postgresql.conf, then restart Postgres)");
            }
            Map<TableMapping, Boolean> partitioned = new HashMap<>();
            for (TableMapping t : config.tables()) {
                partitioned.put(t, TableCheck.check(c, t));
                if (partitioned.get(t) && version(c) < 130000) {
                    throw new SourceException(
                            Code.BAD_PUBLICATION,
                            "table " + t.source() + " is partitioned, and before Postgres 13 a publication sends"
                                    + " its changes only as its partitions' (no publish_via_partition_root): feed"
                                    + " each partition as a table of its own, or upgrade Postgres");
                }
            }
            String created = PublicationCheck.ensure(c, config, partitioned);
            if (created != null) {
                LOG.info("created publication " + config.publication() + " for " + created);
            }
            if (slot != Slot.IGNORE
                    && ReplicationSlot.awaitIdle(c, config, slot == Slot.DROP_IDLE || slot == Slot.SNAPSHOT)) {
                LOG.info(
                        slot == Slot.DROP_IDLE
                                ? "dropped the idle replication slot " + config.slot()
                                        + " of an earlier run: embedded mode "
                                        + "keeps its position in memory, so it starts over with a snapshot"
                                : "dropped the idle replication slot " + config.slot()
                                        + ": in cluster mode this holder "
                                        + "snapshots the fed tables (a fed table has no stored position, or the slot cannot "
                                        + "replay from them), and a new slot starts at that snapshot");
            }
        } catch (SQLException e) {
            throw new SourceException(
                    Code.UNREACHABLE,
                    "cannot query " + JdbcUrls.redact(config.url()) + " as '" + config.user() + "': "
                            + JdbcUrls.redact(e.getMessage()),
                    e);
        }
    }

    /**
     * PgJDBC's defaults wait for ever: a server that accepts TCP and then says nothing (frozen,
     * its host hung, the network black-holed) would block the thread asking for good. A start
     * is refused, a check fails as unreachable, within these instead. A value in the URL wins.
     */
    static final Map<String, String> TIMEOUTS = Map.of(
            // seconds: the TCP connect, the whole login, any one read (a query's answer)
            "connectTimeout", "10",
            "loginTimeout", "15",
            "socketTimeout", "30",
            // a peer gone without a word is found by the kernel on an idle connection too
            "tcpKeepAlive", "true");

    static Connection connect(PostgresSourceConfig config) throws SourceException {
        try {
            java.util.Properties p = new java.util.Properties();
            p.putAll(TIMEOUTS); // defaults: PgJDBC lets the URL's parameters override them
            if (config.user() != null) {
                p.setProperty("user", config.user());
            }
            if (config.password() != null) {
                p.setProperty("password", config.password());
            }
            return DriverManager.getConnection(config.url(), p);
        } catch (SQLException e) {
            throw new SourceException(
                    Code.UNREACHABLE,
                    "cannot connect to " + JdbcUrls.redact(config.url()) + " as '" + config.user() + "': "
                            + JdbcUrls.redact(e.getMessage()),
                    e);
        }
    }

    /**
     * Embedded mode's close: drops the slot once the engine has let it go (waiting as a start
     * does), so a stopped gateway does not make Postgres keep WAL for a position nobody will
     * resume from. A failure is one WARNING: the next start drops the slot anyway.
     */
    static void dropSlot(PostgresSourceConfig config) {
        try (Connection c = connect(config)) {
            if (ReplicationSlot.awaitIdle(c, config, true)) {
                LOG.info("dropped the replication slot " + config.slot() + " at close: embedded mode keeps its "
                        + "position in memory, so the next start snapshots");
            }
        } catch (SourceException | SQLException e) {
            LOG.warning("could not drop the replication slot " + config.slot() + " at close ("
                    + JdbcUrls.redact(e.getMessage()) + "); Postgres keeps WAL for it until the next start drops it, "
                    + "or drop it by hand: select pg_drop_replication_slot('" + config.slot() + "')");
        }
    }

    /** The server's version as a number (150004 for 15.4). */
    static int version(Connection c) throws SQLException {
        return Integer.parseInt(one(c, "show server_version_num"));
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }
}
