package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.SourceException.Code;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The Debezium embedded engine's settings for one source; each non-default one says why. */
final class EngineProperties {
    /** The prefix of Debezium's topic names; data records arrive as {@code livequery.<schema>.<table>}. */
    static final String PREFIX = "livequery";

    private EngineProperties() {}

    /** {@code offsetsKey}: which source's {@link HeldOffsets} the engine resumes from. */
    static Properties of(PostgresSourceConfig config, String offsetsKey) throws SourceException {
        Properties url = org.postgresql.Driver.parseURL(config.url(), new Properties());
        if (url == null) {
            throw new SourceException(
                    Code.BAD_CONFIG,
                    "livequery.sources.postgres.url '" + JdbcUrls.redact(config.url())
                            + "' is not a JDBC URL PgJDBC accepts");
        }
        Properties p = new Properties();
        p.setProperty("name", name(config));
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        // Embedded mode: the position lives in memory only (a gateway restart re-snapshots, PROTOCOL
        // notes), but outlives the engine, which PostgresSource rebuilds after a lost connection.
        p.setProperty("offset.storage", HeldOffsets.class.getName());
        p.setProperty(HeldOffsets.KEY, offsetsKey);
        // Commit offsets (and so acknowledge the slot) after every applied batch, not once a minute.
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("topic.prefix", PREFIX);
        p.setProperty(
                "database.hostname", url.getProperty("PGHOST", "localhost").split(",")[0]);
        p.setProperty("database.port", url.getProperty("PGPORT", "5432").split(",")[0]);
        p.setProperty("database.dbname", url.getProperty("PGDBNAME", "postgres"));
        // The replication connection authenticates and encrypts as the catalog's (PgJDBC with the
        // same URL) does: a user, password or SSL setting in the URL wins over the config's, as
        // it does in PgJDBC, and ssl=true without sslmode means verify-full there.
        p.setProperty("database.user", url.getProperty("user", config.user()));
        p.setProperty("database.password", url.getProperty("password", config.password()));
        String sslmode = url.getProperty("sslmode");
        String ssl = url.getProperty("ssl");
        if (sslmode == null && ssl != null && (ssl.isEmpty() || Boolean.parseBoolean(ssl))) {
            sslmode = "verify-full";
        }
        if (sslmode != null) {
            p.setProperty("database.sslmode", sslmode);
        }
        for (String key : List.of("sslrootcert", "sslcert", "sslkey", "sslpassword")) {
            if (url.getProperty(key) != null) {
                p.setProperty("database." + key, url.getProperty(key));
            }
        }
        p.setProperty("plugin.name", "pgoutput"); // built into Postgres ≥ 10: no server extension
        p.setProperty("slot.name", config.slot());
        p.setProperty("publication.name", config.publication());
        p.setProperty("publication.autocreate.mode", "disabled"); // Catalog created or checked it
        p.setProperty(
                "table.include.list",
                config.tables().stream().map(t -> Pattern.quote(t.source())).collect(Collectors.joining(",")));
        p.setProperty("snapshot.mode", "initial");
        // BEGIN/END records around each transaction: the unit applied atomically.
        p.setProperty("provide.transaction.metadata", "true");
        // numeric as text, parsed by ColumnValues: "precise" turns NaN of a numeric(p,s) into null
        // (with a warning) while an unconstrained one stops the source. The source type on each
        // column's schema is how ColumnValues tells a numeric's text from a text column's.
        p.setProperty("decimal.handling.mode", "string");
        p.setProperty(
                "column.propagate.source.type",
                config.tables().stream()
                        .map(t -> Pattern.quote(t.source()) + "\\..+")
                        .collect(Collectors.joining(",")));
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("skipped.operations", "none"); // the default skips TRUNCATE
        // Heartbeats move the acknowledged position while the fed tables are quiet (WAL is not
        // retained for other tables' traffic) and tell an idle source it is streaming.
        p.setProperty("heartbeat.interval.ms", "1000");
        // Debezium's heartbeats are made here, not by the server: what shows that the server
        // hears the replication connection is that it reads these reports (pg_stat_replication's
        // reply_time, which PostgresProbe watches).
        p.setProperty("status.update.interval.ms", "1000");
        // A lost connection (Postgres restart, network) is retried forever, quickly, by the task;
        // when the restarted task cannot connect either, the engine stops and PostgresSource
        // rebuilds it (Debezium does not retry a failing task start-up: DebeziumException).
        p.setProperty("errors.max.retries", "-1");
        p.setProperty("retriable.restart.connector.wait.ms", "500");
        p.setProperty("errors.retry.delay.initial.ms", "200");
        p.setProperty("errors.retry.delay.max.ms", "2000");
        p.setProperty("include.unknown.datatypes", "false");
        // The task hands over what it has after at most this long (default 500 ms): commit → window latency.
        p.setProperty("poll.interval.ms", "25");
        return p;
    }

    /** The engine's name: the namespace of its offsets ({@link HeldOffsets#seed}). */
    static String name(PostgresSourceConfig config) {
        return "livequery-postgres-" + config.slot();
    }

    /** The topic Debezium names for a mapped table's data records. */
    static String topic(TableMapping t) {
        return PREFIX + "." + t.schema() + "." + t.name();
    }
}
