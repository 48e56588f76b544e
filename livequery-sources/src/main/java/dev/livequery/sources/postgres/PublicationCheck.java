package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.SourceException.Code;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The publication must send every change of every fed table: created at start when missing, and
 * an existing one (an operator's, or one another gateway created) refused at start
 * ({@link Catalog}) and while streaming ({@link PostgresProbe}) when it leaves out a fed table, an
 * operation, a partitioned table's root, a row or a column. Postgres does not say when a
 * publication stops sending something: the fed table would just go stale.
 */
final class PublicationCheck {
    private PublicationCheck() {}

    /**
     * While streaming: whether the publication still sends every change of every fed table. A
     * table dropped from it ({@code ALTER PUBLICATION … DROP TABLE}, or the table dropped and
     * created again: the new one is not in it), an operation no longer published, the publication
     * dropped: Postgres then just stops sending those changes, and the fed table would go stale
     * with the source saying it streams. Each fed table's key and replica identity are checked
     * again too ({@link TableCheck#recheck}): an ALTER TABLE would otherwise make deletes hit the
     * wrong row. Throws the start-up check's coded refusal.
     */
    static void recheck(Connection c, PostgresSourceConfig config) throws SQLException, SourceException {
        Map<TableMapping, Boolean> partitioned = new HashMap<>();
        for (TableMapping t : config.tables()) {
            partitioned.put(t, TableCheck.recheck(c, t));
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

    /**
     * Creates the publication when there is none, else checks it; the fed tables it was created
     * for ("a.b, c.d"), or null when it existed.
     */
    static String ensure(Connection c, PostgresSourceConfig config, Map<TableMapping, Boolean> partitioned)
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
                        + (Catalog.version(c) >= 130000 ? " with (publish_via_partition_root = true)" : ""));
                return String.join(", ", names);
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
        return null;
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
                + (Catalog.version(c) >= 130000 ? "pubviaroot" : "false")
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
        if (Catalog.version(c) < 150000) {
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
}
