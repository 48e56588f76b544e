package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.SourceException.Code;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The start-up checks, run over plain JDBC before Debezium starts, so that every mistake an
 * operator can make in the database is one clear line at start and never a failure mid-stream:
 * logical WAL, each table present with a one-column primary key that is the configured id, every
 * column of a type {@link Values} maps, the publication present (or created) and covering the
 * tables, and the slot not streamed by anyone else.
 */
final class Catalog {
    private static final Logger LOG = Logger.getLogger(Catalog.class.getName());

    /** Postgres types with an exact JSON mapping (see {@link Values}); arrays of them too. */
    static final Set<String> MAPPED = Set.of(
            "int2",
            "int4",
            "int8",
            "numeric",
            "float4",
            "float8",
            "text",
            "varchar",
            "bpchar",
            "bool",
            "timestamp",
            "timestamptz",
            "date",
            "json",
            "jsonb",
            "uuid");

    /** How long a start waits for a slot that a just-killed process still holds. */
    static final java.time.Duration SLOT_WAIT = java.time.Duration.ofSeconds(15);

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
                partitioned.put(t, checkTable(c, t));
                if (partitioned.get(t) && version(c) < 130000) {
                    throw new SourceException(
                            Code.BAD_PUBLICATION,
                            "table " + t.source() + " is partitioned, and before Postgres 13 a publication sends"
                                    + " its changes only as its partitions' (no publish_via_partition_root): feed"
                                    + " each partition as a table of its own, or upgrade Postgres");
                }
            }
            publication(c, config, partitioned);
            if (slot != Slot.IGNORE && slot(c, config, slot == Slot.DROP_IDLE || slot == Slot.SNAPSHOT)) {
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

    /** A fed table's relation: its oid, and whether it is partitioned (relkind 'p'). */
    private record Relation(long oid, boolean partitioned) {}

    /** The fed table's relation; NO_SUCH_TABLE when there is none. */
    private static Relation relation(Connection c, TableMapping t) throws SQLException, SourceException {
        try (PreparedStatement s = c.prepareStatement("select c.oid, c.relkind from pg_class c join pg_namespace n on "
                + "n.oid = c.relnamespace where n.nspname = ? and c.relname = ? and c.relkind in ('r', 'p')")) {
            s.setString(1, t.schema());
            s.setString(2, t.name());
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new SourceException(
                            Code.NO_SUCH_TABLE,
                            "table " + t.source() + " (feeding '" + t.table() + "') does not exist");
                }
                return new Relation(r.getLong(1), "p".equals(r.getString(2)));
            }
        }
    }

    /**
     * While streaming: whether the publication still sends every change of every fed table. A
     * table dropped from it ({@code ALTER PUBLICATION … DROP TABLE}, or the table dropped and
     * created again: the new one is not in it), an operation no longer published, the publication
     * dropped: Postgres then just stops sending those changes, and the fed table would go stale
     * with the source saying it streams. Throws the start-up check's coded refusal.
     */
    static void recheck(Connection c, PostgresSourceConfig config) throws SQLException, SourceException {
        Map<TableMapping, Boolean> partitioned = new HashMap<>();
        for (TableMapping t : config.tables()) {
            partitioned.put(t, relation(c, t).partitioned());
        }
        try (PreparedStatement s = c.prepareStatement("select 1 from pg_publication where pubname = ?")) {
            s.setString(1, config.publication());
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new SourceException(
                            Code.BAD_PUBLICATION,
                            "publication " + config.publication() + " was dropped while streaming: the fed tables"
                                    + " no longer follow Postgres; restart to create it again");
                }
            }
        }
        published(c, config, partitioned);
    }

    /** Checks one fed table; true when it is partitioned (relkind 'p'). */
    private static boolean checkTable(Connection c, TableMapping t) throws SQLException, SourceException {
        Relation rel = relation(c, t);
        long oid = rel.oid();
        List<String> key = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("select a.attname from pg_index i join pg_attribute a on "
                + "a.attrelid = i.indrelid and a.attnum = any(i.indkey) where i.indrelid = ? and i.indisprimary")) {
            s.setLong(1, oid);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    key.add(r.getString(1));
                }
            }
        }
        if (key.isEmpty()) {
            throw new SourceException(
                    Code.NO_PRIMARY_KEY,
                    "table " + t.source() + " has no primary key; a fed table "
                            + "needs one (its column is the livequery row id): ALTER TABLE " + t.source()
                            + " ADD PRIMARY KEY ("
                            + t.id() + ")");
        }
        if (!key.equals(List.of(t.id()))) {
            throw new SourceException(
                    Code.ID_NOT_KEY,
                    "table " + t.source() + ": the id column '" + t.id() + "' must be its whole primary key, which is ("
                            + String.join(", ", key) + ")");
        }
        try (PreparedStatement s = c.prepareStatement("select a.attname, t.typname, coalesce(e.typname, ''), "
                + "format_type(a.atttypid, a.atttypmod) from pg_attribute a join pg_type t on t.oid = a.atttypid "
                + "left join pg_type e on e.oid = t.typelem and t.typcategory = 'A' "
                + "where a.attrelid = ? and a.attnum > 0 and not a.attisdropped order by a.attnum")) {
            s.setLong(1, oid);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    if (r.getString(1).equals("id") && !t.id().equals("id")) {
                        throw new SourceException(
                                Code.ID_SHADOWED,
                                "table " + t.source() + " has a column named 'id' that is not its id column '" + t.id()
                                        + "': a livequery row's \"id\" is the key's text and would hide it; rename it ("
                                        + "ALTER TABLE " + t.source() + " RENAME COLUMN id TO …) or map the key column"
                                        + " 'id'");
                    }
                    String type = r.getString(2);
                    String element = r.getString(3);
                    boolean ok = MAPPED.contains(type) || (!element.isEmpty() && MAPPED.contains(element));
                    if (!ok) {
                        throw new SourceException(
                                Code.UNMAPPABLE_TYPE,
                                "column " + t.source() + "." + r.getString(1)
                                        + " has type " + r.getString(4)
                                        + ", which has no exact JSON mapping; mapped types: "
                                        + String.join(", ", new java.util.TreeSet<>(MAPPED)) + " and arrays of them");
                    }
                }
            }
        }
        replicaIdentity(c, t, oid);
        return rel.partitioned();
    }

    /**
     * Deletes and key-changing updates carry only the old row's replica identity. With DEFAULT
     * that is the primary key (the id); with FULL the whole row. With USING INDEX on another
     * index Debezium gets no id (it fills the missing key with 0 and the wrong row is deleted);
     * with NOTHING no old row at all. A partitioned table's changes come from its leaf
     * partitions, so each of them is checked too.
     */
    private static void replicaIdentity(Connection c, TableMapping t, long oid) throws SQLException, SourceException {
        try (PreparedStatement s = c.prepareStatement("select n.nspname || '.' || c.relname, c.relreplident, "
                + "(select i.indisprimary from pg_index i where i.indrelid = c.oid and i.indisreplident limit 1) "
                + "from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = ? "
                // pg_partition_tree came with Postgres 12; before it a table has no partitions to check
                + (version(c) >= 120000
                        ? "or c.oid in (select relid from pg_partition_tree(?::oid::regclass) where isleaf)"
                        : "or c.oid = ?"))) {
            s.setLong(1, oid);
            s.setLong(2, oid);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String rel = r.getString(1);
                    String identity = r.getString(2);
                    boolean indexIsKey = r.getBoolean(3);
                    String what;
                    switch (identity) {
                        case "d", "f" -> {
                            continue;
                        }
                        case "i" -> {
                            if (indexIsKey) {
                                continue; // USING INDEX of the primary key is DEFAULT spelled out
                            }
                            what = "REPLICA IDENTITY USING INDEX of an index that is not its primary key, so a "
                                    + "DELETE or a key change would arrive without the id";
                        }
                        default ->
                            what = "REPLICA IDENTITY NOTHING, so a DELETE or a key change would arrive "
                                    + "without the id";
                    }
                    throw new SourceException(
                            Code.REPLICA_IDENTITY,
                            "table " + (rel.equals(t.source()) ? rel : t.source() + " (partition " + rel + ")")
                                    + " has " + what + ": ALTER TABLE " + rel + " REPLICA IDENTITY DEFAULT (or FULL)");
                }
            }
        }
    }

    private static void publication(Connection c, PostgresSourceConfig config, Map<TableMapping, Boolean> partitioned)
            throws SQLException, SourceException {
        boolean exists;
        try (PreparedStatement s = c.prepareStatement("select 1 from pg_publication where pubname = ?")) {
            s.setString(1, config.publication());
            try (ResultSet r = s.executeQuery()) {
                exists = r.next();
            }
        }
        if (!exists) {
            List<String> names =
                    config.tables().stream().map(TableMapping::source).toList();
            try (Statement s = c.createStatement()) {
                // Identifiers were checked to be plain lower-case names, so they need no quoting.
                // publish_via_partition_root: a partitioned table's changes are published as the
                // root's (the table Debezium streams); otherwise they come as the partitions' and
                // are dropped as tables nobody feeds (the option came with Postgres 13).
                s.execute("create publication " + config.publication() + " for table " + String.join(", ", names)
                        + (version(c) >= 130000 ? " with (publish_via_partition_root = true)" : ""));
                LOG.info("created publication " + config.publication() + " for " + String.join(", ", names));
                return;
            } catch (SQLException e) {
                // duplicate_object: another gateway (cluster mode) created it a moment ago; when both
                // create it at once, the loser trips the catalog's unique index instead (unique_violation
                // on pg_publication_pubname_index). Either way: check it as existing.
                if (!"42710".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) {
                    throw e;
                }
            }
        }
        published(c, config, partitioned);
    }

    /** The existing publication's settings and tables (see {@link #publicationSettings}). */
    private static void published(Connection c, PostgresSourceConfig config, Map<TableMapping, Boolean> partitioned)
            throws SQLException, SourceException {
        publicationSettings(c, config, partitioned);
        Set<String> published = new HashSet<>();
        try (PreparedStatement s = c.prepareStatement(
                "select schemaname || '.' || tablename from pg_publication_tables where pubname = ?")) {
            s.setString(1, config.publication());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    published.add(r.getString(1));
                }
            }
        }
        for (TableMapping t : config.tables()) {
            if (!published.contains(t.source())) {
                throw new SourceException(
                        Code.NOT_IN_PUBLICATION,
                        "table " + t.source() + " is not in publication "
                                + config.publication() + ": ALTER PUBLICATION " + config.publication() + " ADD TABLE "
                                + t.source());
            }
        }
    }

    /**
     * An existing publication (an operator's, or one another gateway created) must send every
     * change of every fed table: all four operations (a publication without updates or deletes
     * would leave rows behind silently), a partitioned table as its root, and on Postgres 15+ no
     * row filter and no column list leaving out a column (a row or column the publication
     * hides would be missing or go stale, unnoticed).
     */
    private static void publicationSettings(
            Connection c, PostgresSourceConfig config, Map<TableMapping, Boolean> partitioned)
            throws SQLException, SourceException {
        String pub = config.publication();
        try (PreparedStatement s = c.prepareStatement("select pubinsert, pubupdate, pubdelete, pubtruncate, "
                // pubviaroot came with Postgres 13; before it no partitioned table can be published
                + (version(c) >= 130000 ? "pubviaroot" : "false")
                + " from pg_publication where pubname = ?")) {
            s.setString(1, pub);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return; // dropped meanwhile: the membership check names the fix
                }
                if (!(r.getBoolean(1) && r.getBoolean(2) && r.getBoolean(3) && r.getBoolean(4))) {
                    throw new SourceException(
                            Code.BAD_PUBLICATION,
                            "publication " + pub + " does not publish every operation (insert " + r.getBoolean(1)
                                    + ", update " + r.getBoolean(2) + ", delete " + r.getBoolean(3) + ", truncate "
                                    + r.getBoolean(4) + "), so fed tables would miss changes: ALTER PUBLICATION " + pub
                                    + " SET (publish = 'insert, update, delete, truncate')");
                }
                if (!r.getBoolean(5)) {
                    for (Map.Entry<TableMapping, Boolean> e : partitioned.entrySet()) {
                        if (e.getValue()) {
                            throw new SourceException(
                                    Code.BAD_PUBLICATION,
                                    "table " + e.getKey().source() + " is partitioned and publication " + pub
                                            + " publishes its changes as the partitions', which would be dropped: "
                                            + "ALTER PUBLICATION " + pub + " SET (publish_via_partition_root = true)");
                        }
                    }
                }
            }
        }
        if (version(c) < 150000) {
            return; // row filters and column lists came with Postgres 15
        }
        Map<String, TableMapping> bySource = new HashMap<>();
        config.tables().forEach(t -> bySource.put(t.source(), t));
        try (PreparedStatement s = c.prepareStatement("select p.schemaname || '.' || p.tablename, p.rowfilter, "
                // attnames null or every column: no column list
                + "case when p.attnames is null then 0 else (select count(*) from pg_attribute a where a.attrelid = "
                + "(quote_ident(p.schemaname) || '.' || quote_ident(p.tablename))::regclass and a.attnum > 0 "
                + "and not a.attisdropped and not a.attname = any(p.attnames)) end "
                + "from pg_publication_tables p where p.pubname = ?")) {
            s.setString(1, pub);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    TableMapping t = bySource.get(r.getString(1));
                    if (t == null) {
                        continue;
                    }
                    if (r.getString(2) != null) {
                        throw new SourceException(
                                Code.BAD_PUBLICATION,
                                "publication " + pub + " has a row filter on " + t.source() + " (WHERE "
                                        + r.getString(2) + "), so rows it filters out would be missing or stale: "
                                        + "ALTER PUBLICATION " + pub + " SET TABLE … " + t.source()
                                        + " without WHERE, or a publication of its own");
                    }
                    if (r.getLong(3) > 0) {
                        throw new SourceException(
                                Code.BAD_PUBLICATION,
                                "publication " + pub + " has a column list on " + t.source() + " leaving out "
                                        + r.getLong(3) + " column(s), which would be missing from its rows: "
                                        + "ALTER PUBLICATION " + pub + " SET TABLE … " + t.source()
                                        + " without a column list, or a publication of its own");
                    }
                }
            }
        }
    }

    /**
     * Embedded mode keeps its position in memory, so a slot left by an earlier run names a point
     * this process no longer knows: it is dropped and the source starts over with a snapshot. A
     * slot in use means another process streams this source. Waits for the slot to be idle and,
     * if {@code drop}, drops it; true if it was dropped.
     */
    private static boolean slot(Connection c, PostgresSourceConfig config, boolean drop)
            throws SQLException, SourceException {
        // A process killed a moment ago may still hold the slot until Postgres notices its socket closed.
        long deadline = System.nanoTime() + SLOT_WAIT.toNanos();
        while (true) {
            try (PreparedStatement s = c.prepareStatement(
                    "select active, coalesce(active_pid, 0) from pg_replication_slots where slot_name = ?")) {
                s.setString(1, config.slot());
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return false;
                    }
                    if (!r.getBoolean(1)) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new SourceException(
                                Code.SLOT_IN_USE,
                                "replication slot " + config.slot()
                                        + " is in use by backend pid " + r.getInt(2) + " (waited "
                                        + SLOT_WAIT.toSeconds()
                                        + " s): another process streams this source (set livequery.sources.postgres.slot "
                                        + "to a slot of its own)");
                    }
                }
            }
            try {
                Thread.sleep(200); // polling Postgres' view of the slot; nothing to wait on instead
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SourceException(
                        Code.SLOT_IN_USE, "interrupted while replication slot " + config.slot() + " was in use");
            }
        }
        if (!drop) {
            return false; // cluster mode: the stored position says where in this slot to resume
        }
        try (PreparedStatement s = c.prepareStatement("select pg_drop_replication_slot(?)")) {
            s.setString(1, config.slot());
            s.execute();
        }
        return true;
    }

    /**
     * Embedded mode's close: drops the slot once the engine has let it go (waiting as a start
     * does), so a stopped gateway does not make Postgres keep WAL for a position nobody will
     * resume from. A failure is one WARNING: the next start drops the slot anyway.
     */
    static void dropSlot(PostgresSourceConfig config) {
        try (Connection c = connect(config)) {
            if (slot(c, config, true)) {
                LOG.info("dropped the replication slot " + config.slot() + " at close: embedded mode keeps its "
                        + "position in memory, so the next start snapshots");
            }
        } catch (SourceException | SQLException e) {
            LOG.warning("could not drop the replication slot " + config.slot() + " at close ("
                    + JdbcUrls.redact(e.getMessage()) + "); Postgres keeps WAL for it until the next start drops it, "
                    + "or drop it by hand: select pg_drop_replication_slot('" + config.slot() + "')");
        }
    }

    /**
     * Why the slot cannot replay the changes after {@code resumeLsn} (the position a resume asks
     * for, Debezium's {@code lsn_proc}; -1: not known), or null when it can. It cannot when it is
     * gone (dropped), invalidated (its WAL removed: {@code max_slot_wal_keep_size}), or restarts
     * after that position: Debezium's own check refuses the same, and would for ever.
     */
    static String slotLost(PostgresSourceConfig config, long resumeLsn) throws SourceException {
        try (Connection c = connect(config);
                PreparedStatement s = c.prepareStatement("select restart_lsn is null"
                        + " or coalesce(to_jsonb(s) ->> 'wal_status', '') = 'lost'"
                        + " or coalesce(to_jsonb(s) ->> 'conflicting', '') = 'true',"
                        + " coalesce(pg_wal_lsn_diff(restart_lsn, '0/0'), -1)::int8"
                        + " from pg_replication_slots s where slot_name = ?")) {
            s.setString(1, config.slot());
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return "is gone (dropped)";
                }
                if (r.getBoolean(1)) {
                    return "was invalidated (its WAL was removed: max_slot_wal_keep_size)";
                }
                long restart = r.getLong(2);
                if (resumeLsn >= 0 && restart > resumeLsn) {
                    return "restarts at LSN " + restart + ", after the position to resume from (" + resumeLsn + ")";
                }
                return null;
            }
        } catch (SQLException e) {
            throw new SourceException(
                    Code.UNREACHABLE,
                    "cannot read replication slot " + config.slot() + " of " + JdbcUrls.redact(config.url()) + ": "
                            + JdbcUrls.redact(e.getMessage()),
                    e);
        }
    }

    /** The server's version as a number (150004 for 15.4). */
    private static int version(Connection c) throws SQLException {
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
