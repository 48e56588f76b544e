package dev.livequery.sources.postgres;

import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.sources.postgres.SourceException.Code;
import io.helidon.config.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code livequery.sources.postgres.*}: where the database is, which slot and publication to use,
 * and which Postgres tables feed which livequery tables.
 *
 * @param url        JDBC URL, e.g. {@code jdbc:postgresql://localhost:5432/app}
 * @param slot       logical replication slot name
 * @param publication publication name; created for {@code tables} if absent
 * @param tables     one mapping per fed table
 * @param writable   whether the HTTP write API may also write the fed tables
 */
public record PostgresSourceConfig(
        String url,
        String user,
        String password,
        String slot,
        String publication,
        List<TableMapping> tables,
        boolean writable) {

    /** {@code source} is {@code schema.table} in Postgres, {@code table} the livequery table, {@code id} its key column. */
    public record TableMapping(String schema, String name, String table, String id) {
        public String source() {
            return schema + "." + name;
        }
    }

    private static final Pattern IDENT = Pattern.compile("[a-z_][a-z0-9_$]{0,62}");

    /** Null when {@code node} (the {@code livequery.sources.postgres} node) has no url: no source configured. */
    public static PostgresSourceConfig from(Config node) throws SourceException {
        String url = node.get("url").asString().orElse(null);
        if (url == null || url.isBlank()) {
            if (node.get("tables").exists()) {
                throw bad("livequery.sources.postgres.url is not set but tables are listed");
            }
            return null;
        }
        if (!url.startsWith("jdbc:postgresql://")) {
            throw bad("livequery.sources.postgres.url must be a jdbc:postgresql:// URL, got '" + JdbcUrls.redactUrl(url)
                    + "'");
        }
        String slot = ident(node.get("slot").asString().orElse("livequery"), "slot");
        String publication = ident(node.get("publication").asString().orElse("livequery"), "publication");
        List<Config> items = new ArrayList<>(node.get("tables").asNodeList().orElse(List.of()));
        // From system properties (tables.0.source=…) the list arrives as an object keyed 0, 1, …
        items.sort(Comparator.comparing(c -> index(c.name())));
        if (items.isEmpty()) {
            throw bad(
                    "livequery.sources.postgres.tables lists no table (tables.0.source, tables.0.table, tables.0.id)");
        }
        List<TableMapping> tables = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            Config t = items.get(i);
            String key = "livequery.sources.postgres.tables." + i;
            String source = t.get("source").asString().orElseThrow(() -> missing(key + ".source"));
            String table = t.get("table").asString().orElseThrow(() -> missing(key + ".table"));
            String id = ident(
                    t.get("id").asString().orElse("id"), key.substring("livequery.sources.postgres.".length()) + ".id");
            String[] parts = source.split("\\.", -1);
            if (parts.length > 2) {
                throw bad(key + ".source must be <schema>.<table>, got '" + source + "'");
            }
            String schema = parts.length == 2 ? ident(parts[0], key + ".source schema") : "public";
            String name = ident(parts[parts.length - 1], key + ".source table");
            try {
                Query.table(table);
            } catch (LiveQueryException e) {
                throw bad(key + ".table: " + e.getMessage());
            }
            if (!seen.add(table)) {
                throw bad("livequery table '" + table + "' is fed twice");
            }
            tables.add(new TableMapping(schema, name, table, id));
        }
        return new PostgresSourceConfig(
                url,
                node.get("user").asString().orElse("postgres"),
                node.get("password").asString().orElse(""),
                slot,
                publication,
                List.copyOf(tables),
                node.get("writable").asBoolean().orElse(false));
    }

    /** Without the password, and the URL redacted ({@link JdbcUrls}): a config may end up in a log line. */
    @Override
    public String toString() {
        return "PostgresSourceConfig[url=" + JdbcUrls.redact(url) + ", user=" + user + ", slot=" + slot
                + ", publication=" + publication + ", tables=" + tables + ", writable=" + writable + "]";
    }

    /** The mapping feeding livequery table {@code table}, or null. */
    public TableMapping feeding(String table) {
        for (TableMapping t : tables) {
            if (t.table().equals(table)) {
                return t;
            }
        }
        return null;
    }

    private static int index(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** Plain lower-case identifiers only, so no name ever needs quoting in the SQL we send. */
    private static String ident(String s, String what) throws SourceException {
        if (!IDENT.matcher(s).matches()) {
            throw bad(what + " must be a lower-case Postgres identifier ([a-z_][a-z0-9_$]*), got '" + s + "'");
        }
        return s;
    }

    private static SourceException missing(String key) {
        return bad(key + " is not set");
    }

    private static SourceException bad(String message) {
        return new SourceException(Code.BAD_CONFIG, message);
    }
}
