package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.SourceException.Code;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a fed table must be for its changes to map exactly, checked at start ({@link Catalog}): present
 * (a table or a partitioned table), a one-column primary key that is the configured id, no other
 * column named {@code id}, every column of a type {@link ColumnValues} maps, and a replica identity
 * that sends that key with every DELETE and key change, and the whole old row when an array's
 * unchanged TOASTed value would otherwise arrive as null ({@link #PLACEHOLDER_ARRAYS}).
 */
final class TableCheck {
    /** Postgres types with an exact JSON mapping (see {@link ColumnValues}); arrays of them too. */
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

    private TableCheck() {}

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
     * While streaming ({@link PublicationCheck#recheck}): what an ALTER TABLE can take away from a
     * fed table that Postgres and Debezium do not report: the table itself, its primary key being
     * the id, a replica identity that sends it ({@link #replicaIdentity}: else deletes and key
     * changes apply to the wrong row) and FULL for the arrays that need it ({@link #toastedArrays}:
     * else values become null). The start-up check's refusal; true when the table is partitioned.
     */
    static boolean recheck(Connection c, TableMapping t) throws SQLException, SourceException {
        Relation rel = relation(c, t);
        primaryKey(c, t, rel.oid());
        replicaIdentity(c, t, rel.oid());
        toastedArrays(c, t, rel.oid());
        return rel.partitioned();
    }

    /** Checks one fed table; true when it is partitioned (relkind 'p'). */
    static boolean check(Connection c, TableMapping t) throws SQLException, SourceException {
        Relation rel = relation(c, t);
        long oid = rel.oid();
        primaryKey(c, t, oid);
        columns(c, t, oid);
        replicaIdentity(c, t, oid);
        toastedArrays(c, t, oid);
        return rel.partitioned();
    }

    /**
     * The primary key is exactly the id column, and not DEFERRABLE: Postgres does not take a
     * deferrable key as the replica identity, so with DEFAULT it refuses every UPDATE and DELETE
     * of the table once it is published; with FULL, one transaction may move a row onto a key
     * another row leaves only later in it (a swap), which Debezium sends as deletes and inserts
     * of keys that remove one of the two rows.
     */
    private static void primaryKey(Connection c, TableMapping t, long oid) throws SQLException, SourceException {
        List<String> key = new ArrayList<>();
        String deferrable = null;
        try (PreparedStatement s = c.prepareStatement("select a.attname, not i.indimmediate, x.relname"
                + " from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)"
                + " join pg_class x on x.oid = i.indexrelid where i.indrelid = ? and i.indisprimary")) {
            s.setLong(1, oid);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    key.add(r.getString(1));
                    if (r.getBoolean(2)) {
                        deferrable = r.getString(3);
                    }
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
        if (deferrable != null) {
            throw new SourceException(
                    Code.NO_PRIMARY_KEY,
                    "table " + t.source() + " has a DEFERRABLE primary key, which Postgres does not take as the"
                            + " replica identity (with DEFAULT it refuses the table's UPDATEs and DELETEs once"
                            + " published; with FULL a key swap in one transaction loses a row): ALTER TABLE "
                            + t.source() + " DROP CONSTRAINT " + deferrable + ", ADD PRIMARY KEY (" + t.id() + ")");
        }
    }

    /** Column checks: no non-key {@code id}, every type mapped. */
    private static void columns(Connection c, TableMapping t, long oid) throws SQLException, SourceException {
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
    }

    /**
     * Array element types whose unchanged TOASTed value Debezium marks with a placeholder of the
     * array's type ({@link ColumnValues#row} recognises them): varchar is {@code varchar}, char
     * {@code bpchar}. For arrays of the other mapped types it puts the plain placeholder string
     * into the array field, which fails conversion: a WARNING, and the column arrives as null.
     */
    static final Set<String> PLACEHOLDER_ARRAYS =
            Set.of("text", "varchar", "bpchar", "json", "jsonb", "int4", "int8", "date", "uuid");

    /**
     * An UPDATE that leaves a TOASTed (out of line) value unchanged does not send it with replica
     * identity DEFAULT. For an array whose element type is not in {@link #PLACEHOLDER_ARRAYS}
     * Debezium then sends null, and the row's value would be overwritten with it, silently. With
     * REPLICA IDENTITY FULL the old row comes whole and Debezium takes the value from it, so such
     * a column needs FULL on the table (on each leaf partition of a partitioned one: changes come
     * from them).
     */
    private static void toastedArrays(Connection c, TableMapping t, long oid) throws SQLException, SourceException {
        String column = null;
        String type = null;
        try (PreparedStatement s = c.prepareStatement("select a.attname, format_type(a.atttypid, a.atttypmod) "
                + "from pg_attribute a join pg_type t on t.oid = a.atttypid join pg_type e on e.oid = t.typelem "
                + "and t.typcategory = 'A' where a.attrelid = ? and a.attnum > 0 and not a.attisdropped "
                + "and e.typname <> all(?) order by a.attnum")) {
            s.setLong(1, oid);
            s.setArray(2, c.createArrayOf("text", PLACEHOLDER_ARRAYS.toArray()));
            try (ResultSet r = s.executeQuery()) {
                if (r.next()) {
                    column = r.getString(1);
                    type = r.getString(2);
                }
            }
        }
        if (column == null) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("select n.nspname || '.' || c.relname, c.relreplident "
                + "from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relreplident <> 'f' and "
                + "((c.oid = ? and c.relkind = 'r') "
                // a partitioned table's leaf partitions (pg_partition_tree came with Postgres 12)
                + (Catalog.version(c) >= 120000
                        ? "or c.oid in (select relid from pg_partition_tree(?::oid::regclass) where isleaf))"
                        : "or c.oid = ?)")
                + " order by 1 limit 1")) {
            s.setLong(1, oid);
            s.setLong(2, oid);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return;
                }
                String rel = r.getString(1);
                String identity = switch (r.getString(2)) {
                    case "d" -> "DEFAULT";
                    case "i" -> "USING INDEX";
                    default -> "NOTHING";
                };
                throw new SourceException(
                        Code.REPLICA_IDENTITY,
                        "column " + t.source() + "." + column + " has type " + type + ", and table "
                                + (rel.equals(t.source()) ? rel : t.source() + " (partition " + rel + ")")
                                + " has REPLICA IDENTITY " + identity + ", so an UPDATE that leaves a long (TOASTed)"
                                + " value of it unchanged would overwrite it with null: Debezium marks an unchanged"
                                + " value only in arrays of text, varchar, char, json, jsonb, int4, int8, date"
                                + " and uuid; ALTER TABLE " + rel
                                + " REPLICA IDENTITY FULL (an UPDATE then sends the whole"
                                + " old row), or make it an array of one of those");
            }
        }
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
                + (Catalog.version(c) >= 120000
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
}
