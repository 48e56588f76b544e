package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LocalBackend;
import dev.livequery.sources.postgres.SourceException.Code;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.PostgresProcess;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One real PostgreSQL for the source's start-up checks, type mapping and change semantics. */
@Slow
class PostgresSourceTest {
    static PostgresProcess pg;
    static int next;

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = PostgresProcess.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        pg.close();
    }

    /** A fresh schema per test, so slots and publications of one test never meet another's. */
    static String schema() throws Exception {
        String s = "t" + (++next);
        sql("create schema " + s);
        return s;
    }

    static void sql(String... statements) throws Exception {
        pg.execute(statements);
    }

    static PostgresSourceConfig config(String schema, String... tables) throws SourceException {
        Map<String, String> m = new HashMap<>();
        m.put("livequery.sources.postgres.url", pg.jdbcUrl());
        m.put("livequery.sources.postgres.user", "postgres");
        m.put("livequery.sources.postgres.slot", "slot_" + schema);
        m.put("livequery.sources.postgres.publication", "pub_" + schema);
        for (int i = 0; i < tables.length; i++) {
            m.put("livequery.sources.postgres.tables." + i + ".source", schema + "." + tables[i]);
            m.put("livequery.sources.postgres.tables." + i + ".table", tables[i]);
            m.put("livequery.sources.postgres.tables." + i + ".id", "id");
        }
        return PostgresSourceConfig.from(Config.just(ConfigSources.create(m)).get("livequery.sources.postgres"));
    }

    @Test
    void systemPropertyStyleKeysGiveTheTableListInOrder() throws Exception {
        PostgresSourceConfig c = config("s", "a", "b", "c");
        assertThat(c.tables())
                .extracting(PostgresSourceConfig.TableMapping::table)
                .containsExactly("a", "b", "c");
        assertThat(c.slot()).isEqualTo("slot_s");
        assertThat(c.writable()).isFalse();
        SourceException e = catchThrowableOfType(
                SourceException.class,
                () -> PostgresSourceConfig.from(Config.just(
                                ConfigSources.create(Map.of("livequery.sources.postgres.url", "jdbc:postgresql://x/y")))
                        .get("livequery.sources.postgres")));
        assertThat(e.line()).startsWith("source_bad_config: ").contains("tables");
    }

    @Test
    void startUpErrorsAreOneCodedLineNamingWhatToFix() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".nokey (id int, v text)",
                "create table " + s + ".blob (id int primary key, b bytea)",
                "create table " + s + ".ok (id int primary key, v text)",
                "create table " + s + ".other (id int primary key)",
                "create publication pub_" + s + " for table " + s + ".other");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        assertThat(fails(config(s, "nokey"), b)).isEqualTo(Code.NO_PRIMARY_KEY);
        assertThat(fails(config(s, "blob"), b)).isEqualTo(Code.UNMAPPABLE_TYPE);
        assertThat(fails(config(s, "missing"), b)).isEqualTo(Code.NO_SUCH_TABLE);
        assertThat(fails(config(s, "ok"), b)).isEqualTo(Code.NOT_IN_PUBLICATION);
    }

    /**
     * A DEFERRABLE primary key is no replica identity to Postgres: published, the table's UPDATEs
     * fail (DEFAULT), or a key swap in one transaction arrives as deletes and inserts of keys that
     * lose a row (FULL). Refused at start, before the publication exists, so the table's own
     * writes go on.
     */
    @Test
    void aDeferrablePrimaryKeyIsRefusedBeforeThePublicationExists() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".d (id int primary key deferrable initially deferred, v text)",
                "create table " + s + ".f (id int primary key deferrable, v text)",
                "alter table " + s + ".f replica identity full",
                "insert into " + s + ".d values (1, 'a'), (2, 'b')");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        assertThat(refused(config(s, "d"), b))
                .isEqualTo("source_no_primary_key: table " + s + ".d has a DEFERRABLE primary key, which Postgres"
                        + " does not take as the replica identity (with DEFAULT it refuses the table's UPDATEs and"
                        + " DELETEs once published; with FULL a key swap in one transaction loses a row): ALTER TABLE "
                        + s + ".d DROP CONSTRAINT d_pkey, ADD PRIMARY KEY (id)");
        assertThat(fails(config(s, "f"), b)).isEqualTo(Code.NO_PRIMARY_KEY);
        sql("update " + s + ".d set id = 3 - id");
    }

    static Code fails(PostgresSourceConfig c, LocalBackend b) {
        SourceException e = catchThrowableOfType(
                SourceException.class, () -> PostgresSource.start(c, b).close());
        assertThat(e).as("start should fail").isNotNull();
        assertThat(e.line()).doesNotContain("\n").contains(c.tables().get(0).source());
        return e.code();
    }

    @Test
    void typesMapToExactJsonAndTransactionsApplyWhole() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".items (id int primary key, name text, price numeric, cents numeric(10,2), "
                        + "big int8, f float8, ok bool, at timestamp, atz timestamptz, day date, doc jsonb, tags text[], "
                        + "u uuid, note varchar(20))",
                "insert into " + s + ".items values (1, 'apple', 12345678901234567890.5, 2.50, 9007199254740993, 1.5, "
                        + "true, '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02', '2024-02-29', "
                        + "'{\"a\":[1,{\"b\":null}]}', '{x,y}', '6f1c1b5e-0000-4000-8000-000000000001', null)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "items"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            JsonNode row = b.get("items", "1").data();
            // Every digit kept (no double rounding), timestamps UTC and fixed width, json nested.
            assertThat(row.toString())
                    .isEqualTo("{\"id\":\"1\",\"name\":\"apple\",\"price\":12345678901234567890.5,"
                            + "\"cents\":2.50,\"big\":9007199254740993,\"f\":1.5,\"ok\":true,\"at\":\"2024-01-02T03:04:05.123456Z\","
                            + "\"atz\":\"2024-01-02T01:04:05.000000Z\",\"day\":\"2024-02-29\",\"doc\":{\"a\":[1,{\"b\":null}]},"
                            + "\"tags\":[\"x\",\"y\"],\"u\":\"6f1c1b5e-0000-4000-8000-000000000001\",\"note\":null}");
            long snapshotVersion = b.get("items", "1").version();

            sql("begin; insert into " + s + ".items(id, name) values (2, 'b'), (3, 'c'); " + "update " + s
                    + ".items set id = 4 where id = 3; update " + s + ".items set name = 'z' where id = 1; commit");
            await().atMost(Duration.ofSeconds(30)).until(() -> exists(b, "4"));
            assertThat(exists(b, "3")).isFalse();
            assertThat(b.get("items", "1").data().get("name").textValue()).isEqualTo("z");
            assertThat(b.get("items", "1").version()).isGreaterThan(snapshotVersion);
            assertThat(b.get("items", "1").version() >>> LocalApplier.VERSION_SHIFT)
                    .as("the version carries the commit LSN")
                    .isEqualTo(src.position());

            sql("truncate " + s + ".items", "insert into " + s + ".items(id, name) values (9, 'after')");
            await().atMost(Duration.ofSeconds(30)).until(() -> exists(b, "9"));
            assertThat(b.query(dev.livequery.core.Query.parse(
                                    new ObjectMapper().readTree("{\"table\":\"items\",\"limit\":10}")))
                            .rows())
                    .extracting(r -> r.id())
                    .containsExactly("9");
            // 2 inserts + the id change (a delete and an insert) + 1 update, the truncate, 1 insert
            assertThat(src.gauges())
                    .containsEntry("source_transactions", 3L)
                    .containsEntry("source_changes", 7L)
                    .containsEntry("source_duplicates_skipped", 0L);
        }
    }

    /**
     * With replica identity default, an UPDATE that leaves a TOASTed column alone does not send
     * it; the row must keep its value (also across two updates in one transaction).
     */
    @Test
    void anUnchangedToastedColumnKeepsItsValue() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".docs (id text primary key, body text, n int)",
                // random hex is incompressible enough to be stored out of line
                "insert into " + s
                        + ".docs select 'd1', string_agg(md5(i::text), '') , 0 from generate_series(1, 400) i");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        PostgresSourceConfig c = config(s, "docs");
        try (PostgresSource src = PostgresSource.start(c, b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            String body = b.get("docs", "d1").data().get("body").textValue();
            assertThat(body).hasSize(400 * 32);
            sql(
                    "update " + s + ".docs set n = 1 where id = 'd1'",
                    "begin; update " + s + ".docs set n = 2 where id = 'd1'; update " + s
                            + ".docs set n = 3 where id = 'd1'; commit");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> b.get("docs", "d1").data().get("n").asInt() == 3);
            assertThat(b.get("docs", "d1").data().get("body").textValue()).isEqualTo(body);
        }
    }

    /**
     * An UPDATE that changes the key leaves an unchanged TOASTed column out of the new row too
     * (pgoutput sends it as unchanged); the row under its new id must carry the value it had
     * under the old one, not lack the column.
     */
    @Test
    void aKeyChangeKeepsAnUnchangedToastedColumn() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".docs (id text primary key, body text, n int)",
                "insert into " + s
                        + ".docs select 'd1', string_agg(md5(i::text), '') , 0 from generate_series(1, 400) i");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "docs"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            String body = b.get("docs", "d1").data().get("body").textValue();
            assertThat(body).hasSize(400 * 32);
            sql(
                    "update " + s + ".docs set id = 'd2' where id = 'd1'",
                    "begin; update " + s + ".docs set n = 5 where id = 'd2'; update " + s
                            + ".docs set id = 'd3', n = 6 where id = 'd2'; commit");
            await().atMost(Duration.ofSeconds(30)).until(() -> exists(b, "docs", "d3"));
            assertThat(exists(b, "docs", "d1")).isFalse();
            assertThat(exists(b, "docs", "d2")).isFalse();
            assertThat(b.get("docs", "d3").data().get("n").asInt()).isEqualTo(6);
            assertThat(b.get("docs", "d3").data().get("body").textValue()).isEqualTo(body);
        }
    }

    /**
     * Postgres stops sending a fed table's changes without a word when the table leaves the
     * publication (ALTER PUBLICATION … DROP TABLE, or the table dropped and created again): the
     * source must fail with the start-up check's line, not stream on with the table going stale.
     */
    @Test
    void aTableLeavingThePublicationWhileStreamingFailsTheSource() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".a (id int primary key, v int)",
                "create table " + s + ".b (id int primary key, v int)",
                "insert into " + s + ".a values (1, 1)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "a", "b"), b)) {
            SourcedBackend backend = new SourcedBackend(b, src);
            await().atMost(Duration.ofSeconds(60)).until(backend::ready);
            sql("alter publication pub_" + s + " drop table " + s + ".b", "insert into " + s + ".b values (1, 1)");
            await().atMost(Duration.ofSeconds(60)).until(() -> src.state() == PostgresSource.State.FAILED);
            assertThat(src.error())
                    .isEqualTo("source_not_in_publication: table " + s + ".b is not in publication pub_" + s
                            + ": ALTER PUBLICATION pub_" + s + " ADD TABLE " + s + ".b");
            assertThat(backend.ready()).isFalse();
        }
    }

    /**
     * What the start-up check requires of a fed table can stop holding while streaming: a replica
     * identity set to a non-key index (a DELETE then came with the id 0 and deleted row "0"), or
     * an array column added that needs FULL. The periodic recheck fails the source with the
     * start-up check's line instead of streaming on.
     */
    @Test
    void aReplicaIdentityChangedWhileStreamingFailsTheSource() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".items (id int primary key, sku text not null unique, v int)",
                "insert into " + s + ".items values (0, 'zero', 0), (1, 'a', 1)",
                "create table " + s + ".b (id int primary key, v int)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "items"), b)) {
            SourcedBackend backend = new SourcedBackend(b, src);
            await().atMost(Duration.ofSeconds(60)).until(backend::ready);
            sql("alter table " + s + ".items replica identity using index items_sku_key");
            await().atMost(Duration.ofSeconds(30)).until(() -> src.state() == PostgresSource.State.FAILED);
            assertThat(src.error())
                    .startsWith("source_replica_identity: table " + s
                            + ".items has REPLICA IDENTITY USING INDEX of an index that is not its primary key");
            assertThat(backend.ready()).isFalse();
        }
        sql("drop publication pub_" + s);
        try (PostgresSource src = PostgresSource.start(config(s, "b"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            sql("alter table " + s + ".b add column xs float8[]");
            await().atMost(Duration.ofSeconds(30)).until(() -> src.state() == PostgresSource.State.FAILED);
            assertThat(src.error())
                    .startsWith("source_replica_identity: column " + s + ".b.xs has type double precision[]");
        }
    }

    /** A value with no JSON form stops the source loudly: failed state, a coded error, health down. */
    @Test
    void aValueWithoutAJsonFormFailsTheSourceAndItsHealth() throws Exception {
        String s = schema();
        sql("create table " + s + ".m (id int primary key, x float8)", "insert into " + s + ".m values (1, 1.5)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "m"), b)) {
            SourcedBackend backend = new SourcedBackend(b, src);
            await().atMost(Duration.ofSeconds(60)).until(backend::ready);
            sql("insert into " + s + ".m values (2, 'NaN')");
            await().atMost(Duration.ofSeconds(30)).until(() -> src.state() == PostgresSource.State.FAILED);
            assertThat(src.error()).startsWith("source_unmappable_value: column x holds NaN");
            assertThat(backend.ready()).isFalse();
            assertThat(backend.health()).containsEntry("state", "failed").containsKey("error");
        }
    }

    /** The start-up refusal's line: one coded line naming the table (null: the start was accepted). */
    static String refused(PostgresSourceConfig c, LocalBackend b) {
        SourceException e = catchThrowableOfType(
                SourceException.class, () -> PostgresSource.start(c, b).close());
        if (e == null) {
            return null;
        }
        assertThat(e.line()).doesNotContain("\n");
        return e.line();
    }

    /** The same config with another publication (start-up checks of existing publications). */
    static PostgresSourceConfig withPublication(PostgresSourceConfig c, String publication) {
        return new PostgresSourceConfig(
                c.url(), c.user(), c.password(), c.slot(), publication, c.tables(), c.writable());
    }

    static PostgresSourceConfig keyed(String schema, String table, String idColumn) throws SourceException {
        Map<String, String> m = new HashMap<>();
        m.put("livequery.sources.postgres.url", pg.jdbcUrl());
        m.put("livequery.sources.postgres.slot", "slot_" + schema);
        m.put("livequery.sources.postgres.publication", "pub_" + schema);
        m.put("livequery.sources.postgres.tables.0.source", schema + "." + table);
        m.put("livequery.sources.postgres.tables.0.table", table);
        m.put("livequery.sources.postgres.tables.0.id", idColumn);
        return PostgresSourceConfig.from(Config.just(ConfigSources.create(m)).get("livequery.sources.postgres"));
    }

    static String row(LocalBackend b, String table, String id) {
        try {
            return b.get(table, id).data().toString();
        } catch (LiveQueryException e) {
            return null;
        }
    }

    /**
     * A DELETE carries only the old row's replica identity: with USING INDEX on another index the
     * id is missing (Debezium filled it with 0 and deleted row "0"), with NOTHING there is no old
     * row. Both are refused at start with the fix; USING INDEX of the primary key is accepted.
     */
    @Test
    void aReplicaIdentityWithoutTheKeyIsRefusedAtStart() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".byindex (id int primary key, code text not null)",
                "create unique index byindex_code on " + s + ".byindex(code)",
                "alter table " + s + ".byindex replica identity using index byindex_code",
                "create table " + s + ".nothing (id int primary key)",
                "alter table " + s + ".nothing replica identity nothing",
                "create table " + s + ".bykey (id int primary key)",
                "alter table " + s + ".bykey replica identity using index bykey_pkey",
                "create table " + s + ".whole (id int primary key)",
                "alter table " + s + ".whole replica identity full",
                "create table " + s + ".parted (id int primary key) partition by range (id)",
                "create table " + s + ".parted1 partition of " + s + ".parted for values from (0) to (10)",
                "alter table " + s + ".parted1 replica identity nothing");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        assertThat(refused(config(s, "byindex"), b))
                .startsWith("source_replica_identity: table " + s + ".byindex has REPLICA IDENTITY USING INDEX")
                .contains("ALTER TABLE " + s + ".byindex REPLICA IDENTITY DEFAULT (or FULL)");
        assertThat(refused(config(s, "nothing"), b))
                .startsWith("source_replica_identity: table " + s + ".nothing has REPLICA IDENTITY NOTHING");
        assertThat(refused(config(s, "parted"), b))
                .startsWith("source_replica_identity: table " + s + ".parted (partition " + s + ".parted1)");
        assertThat(refused(config(s, "bykey", "whole"), b)).isNull();
    }

    /**
     * A partitioned table's changes come from its partitions: the publication must publish them as
     * the root's, or every streamed change is dropped. An existing publication that does not is
     * refused at start.
     */
    @Test
    void aPartitionedTableStreamsThroughItsRoot() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".p (id int primary key, v int) partition by range (id)",
                "create table " + s + ".p1 partition of " + s + ".p for values from (0) to (100)",
                "create table " + s + ".p2 partition of " + s + ".p for values from (100) to (200)",
                "insert into " + s + ".p values (1, 1), (150, 1)",
                "create publication leafs for table " + s + ".p");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        assertThat(refused(withPublication(config(s, "p"), "leafs"), b))
                .startsWith("source_bad_publication: table " + s + ".p is partitioned")
                .contains("ALTER PUBLICATION leafs SET (publish_via_partition_root = true)");
        try (PostgresSource src = PostgresSource.start(config(s, "p"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            assertThat(row(b, "p", "150")).isEqualTo("{\"id\":\"150\",\"v\":1}");
            sql(
                    "insert into " + s + ".p values (2, 2), (160, 2)",
                    "update " + s + ".p set v = 10 where id = 1",
                    "delete from " + s + ".p where id = 150",
                    "update " + s + ".p set id = 170 where id = 2"); // moves to the other partition
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(ids(b, "p")).containsExactlyInAnyOrder("1", "160", "170"));
            assertThat(row(b, "p", "1")).isEqualTo("{\"id\":\"1\",\"v\":10}");
        }
    }

    /**
     * An unchanged TOASTed array is not sent either; Debezium puts a placeholder of the array's
     * type in its place (a list of the string, or of its bytes as numbers), which must be
     * recognised like the plain one, not stored as the value.
     */
    @Test
    void anUnchangedToastedArrayKeepsItsValue() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".a (id int primary key, tags text[], nums int[], big int8[], days date[], "
                        + "us uuid[], docs jsonb[], n int)",
                // random values compress badly enough to be stored out of line
                "insert into " + s + ".a select 1, (select array_agg(md5(i::text)) from generate_series(1, 600) i), "
                        + "(select array_agg(('x' || substr(md5(i::text), 1, 7))::bit(28)::int) "
                        + "from generate_series(1, 6000) i), "
                        + "(select array_agg(('x' || substr(md5(i::text), 1, 15))::bit(60)::int8) "
                        + "from generate_series(1, 3000) i), "
                        + "(select array_agg(date '2000-01-01' + (('x' || substr(md5(i::text), 1, 4))::bit(16)::int)) "
                        + "from generate_series(1, 6000) i), "
                        + "(select array_agg(md5(i::text)::uuid) from generate_series(1, 2000) i), "
                        + "(select array_agg(jsonb_build_object('k', md5(i::text))) from generate_series(1, 600) i), 0");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "a"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            JsonNode before = b.get("a", "1").data();
            assertThat(before.get("nums")).hasSize(6000);
            sql("update " + s + ".a set n = 1 where id = 1");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> b.get("a", "1").data().get("n").asInt() == 1);
            JsonNode after = b.get("a", "1").data();
            for (String column : List.of("tags", "nums", "big", "days", "us", "docs")) {
                assertThat(after.get(column)).as(column).isEqualTo(before.get(column));
            }
        }
    }

    /**
     * Debezium marks an unchanged TOASTed array only for some element types; for the others
     * (float8, numeric, bool, int2, timestamptz, float4, timestamp) it sends a placeholder that
     * fails conversion and the column arrives as null, the real value overwritten. With REPLICA
     * IDENTITY DEFAULT such a column is refused at start (for a partitioned table, per
     * partition); with FULL the old row comes whole and the value is kept.
     */
    @Test
    void anArrayWhoseUnchangedToastHasNoPlaceholderNeedsReplicaIdentityFull() throws Exception {
        String s = schema();
        List<String> columns = List.of("f8", "nu", "bo", "i2", "tz", "f4", "ts");
        sql(
                "create table " + s + ".a (id int primary key, f8 float8[], nu numeric[], bo bool[], i2 int2[], "
                        + "tz timestamptz[], f4 float4[], ts timestamp[], n int)",
                "alter table " + s + ".a "
                        + String.join(
                                ", ",
                                columns.stream()
                                        .map(c -> "alter column " + c + " set storage external")
                                        .toList()),
                "insert into " + s + ".a select 1, "
                        + "(select array_agg(i * 1.5) from generate_series(1, 3000) i), "
                        + "(select array_agg(i * 1.25) from generate_series(1, 3000) i), "
                        + "(select array_agg(i % 2 = 0) from generate_series(1, 5000) i), "
                        + "(select array_agg((i % 30000)::int2) from generate_series(1, 3000) i), "
                        + "(select array_agg(timestamptz '2024-01-01' + i * interval '1 second') "
                        + "from generate_series(1, 3000) i), "
                        + "(select array_agg((i * 0.5)::float4) from generate_series(1, 3000) i), "
                        + "(select array_agg(timestamp '2024-01-01' + i * interval '1 second') "
                        + "from generate_series(1, 3000) i), 0",
                "create table " + s + ".parted (id int primary key, x float8[]) partition by range (id)",
                "create table " + s + ".parted1 partition of " + s + ".parted for values from (0) to (10)",
                "alter table " + s + ".parted replica identity full");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        assertThat(refused(config(s, "a"), b))
                .startsWith("source_replica_identity: column " + s + ".a.f8 has type double precision[]")
                .contains("ALTER TABLE " + s + ".a REPLICA IDENTITY FULL");
        assertThat(refused(config(s, "parted"), b))
                .startsWith("source_replica_identity: column " + s + ".parted.x has type double precision[]")
                .contains("ALTER TABLE " + s + ".parted1 REPLICA IDENTITY FULL");
        sql("alter table " + s + ".a replica identity full");
        try (PostgresSource src = PostgresSource.start(config(s, "a"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            JsonNode before = b.get("a", "1").data();
            assertThat(before.get("bo")).hasSize(5000);
            sql("update " + s + ".a set n = 1 where id = 1");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> b.get("a", "1").data().get("n").asInt() == 1);
            JsonNode after = b.get("a", "1").data();
            for (String column : columns) {
                assertThat(after.get(column)).as(column).isEqualTo(before.get(column));
            }
        }
    }

    /**
     * An existing publication must send every change of the fed tables: all operations, no row
     * filter, no column list leaving a column out. Anything else is refused at start.
     */
    @Test
    void anExistingPublicationThatWouldDropChangesIsRefused() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".t (id int primary key, v int, w int)",
                "create publication inserts for table " + s + ".t with (publish = 'insert')",
                "create publication filtered for table " + s + ".t where (v > 0)",
                "create publication narrow for table " + s + ".t (id, v)",
                "create publication wide for table " + s + ".t (id, v, w)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        assertThat(refused(withPublication(config(s, "t"), "inserts"), b))
                .startsWith("source_bad_publication: publication inserts does not publish every operation")
                .contains("ALTER PUBLICATION inserts SET (publish = 'insert, update, delete, truncate')");
        assertThat(refused(withPublication(config(s, "t"), "filtered"), b))
                .startsWith("source_bad_publication: publication filtered has a row filter on " + s + ".t");
        assertThat(refused(withPublication(config(s, "t"), "narrow"), b))
                .startsWith("source_bad_publication: publication narrow has a column list on " + s + ".t");
        assertThat(refused(withPublication(config(s, "t"), "wide"), b)).isNull();
    }

    /**
     * No value becomes null silently: NaN of a constrained numeric stops the source as for an
     * unconstrained one, and so does a multi-dimensional array (Debezium reads it as nulls).
     */
    @Test
    void aNumericNaNOrAMultiDimensionalArrayStopsTheSource() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".n (id int primary key, x numeric(10,2), xs numeric[])",
                // a numeric[] needs the whole old row (anArrayWhoseUnchangedToastHasNoPlaceholder…)
                "alter table " + s + ".n replica identity full",
                "insert into " + s + ".n values (1, 1.50, '{1.5,20000000000000000000.25}')",
                "create table " + s + ".m (id int primary key, xs int[])",
                "insert into " + s + ".m values (1, '{1,2}')");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "n"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            assertThat(row(b, "n", "1")).isEqualTo("{\"id\":\"1\",\"x\":1.50,\"xs\":[1.5,20000000000000000000.25]}");
            sql("insert into " + s + ".n values (2, 'NaN', null)");
            await().atMost(Duration.ofSeconds(30)).until(() -> src.state() == PostgresSource.State.FAILED);
            assertThat(src.error())
                    .startsWith("source_unmappable_value: column x holds numeric ")
                    .containsIgnoringCase("NaN");
            assertThat(row(b, "n", "2")).isNull();
        }
        sql("drop publication pub_" + s);
        try (PostgresSource src = PostgresSource.start(config(s, "m"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            sql("insert into " + s + ".m values (2, '{{1,2},{3,4}}')");
            await().atMost(Duration.ofSeconds(30)).until(() -> src.state() == PostgresSource.State.FAILED);
            assertThat(src.error()).startsWith("source_unmappable_value: column xs holds a multi-dimensional array");
            assertThat(row(b, "m", "2")).isNull();
        }
    }

    /** json numbers keep every digit (PROTOCOL §1); a json value's duplicate keys: the last wins, as in Postgres. */
    @Test
    void jsonNumbersKeepEveryDigitAndDuplicateKeysTakeTheLast() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".j (id int primary key, doc jsonb, j json)",
                "insert into " + s + ".j values (1, '{\"x\": 12345678901234567890.5, \"y\": 0.1000000000000000000001}',"
                        + " '{\"a\": 1, \"a\": 2.50}')");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "j"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            assertThat(src.state()).isNotEqualTo(PostgresSource.State.FAILED);
            assertThat(row(b, "j", "1"))
                    .isEqualTo("{\"id\":\"1\",\"doc\":{\"x\":12345678901234567890.5,\"y\":0.1000000000000000000001},"
                            + "\"j\":{\"a\":2.50}}");
        }
    }

    /** A column named id that is not the configured key would be hidden by the row id: refused at start. */
    @Test
    void aNonKeyColumnNamedIdIsRefused() throws Exception {
        String s = schema();
        sql("create table " + s + ".t (sku text primary key, id int)");
        assertThat(refused(keyed(s, "t", "sku"), new LocalBackend(EngineOptions.defaults())))
                .startsWith("source_id_shadowed: table " + s + ".t has a column named 'id' that is not its id column");
    }

    /** Debezium's transaction records are on livequery.transaction; a table named transaction is just a table. */
    @Test
    void aTableNamedTransactionIsFed() throws Exception {
        String s = schema();
        sql(
                "create table " + s + ".transaction (id int primary key, v int)",
                "insert into " + s + ".transaction values (1, 1)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "transaction"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> src.loaded() || src.error() != null);
            sql("insert into " + s + ".transaction values (2, 2)");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> row(b, "transaction", "2") != null || src.error() != null);
            assertThat(src.error()).isNull();
            assertThat(ids(b, "transaction")).containsExactlyInAnyOrder("1", "2");
        }
    }

    /**
     * A key whose text is no livequery id (over 128 characters) must not stop the whole feed:
     * the row is skipped and counted, in the snapshot as in the stream, and the others flow.
     */
    @Test
    void aRowWhoseKeyIsNoRowIdIsSkippedAndCounted() throws Exception {
        String s = schema();
        String longId = "x".repeat(129);
        sql(
                "create table " + s + ".t (id text primary key, v int)",
                "insert into " + s + ".t values ('" + longId + "', 1), ('ok', 1), ('" + "y".repeat(128) + "', 1)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "t"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> src.loaded() || src.error() != null);
            assertThat(ids(b, "t")).containsExactlyInAnyOrder("ok", "y".repeat(128));
            sql(
                    "begin; update " + s + ".t set v = 2 where id = '" + longId + "'; update " + s
                            + ".t set v = 2 where id = 'ok'; commit",
                    "insert into " + s + ".t values ('z" + longId + "', 3), ('new', 3)");
            await().atMost(Duration.ofSeconds(30)).until(() -> row(b, "t", "new") != null || src.error() != null);
            assertThat(src.error()).isNull();
            assertThat(row(b, "t", "ok")).isEqualTo("{\"id\":\"ok\",\"v\":2}");
            assertThat(ids(b, "t")).containsExactlyInAnyOrder("ok", "new", "y".repeat(128));
            assertThat(src.gauges()).containsEntry("source_rows_skipped", 3L);
        }
    }

    /**
     * Embedded mode's position dies with the source, so its slot goes at close instead of holding
     * WAL until the next start; while it runs, the WAL the slot holds is a gauge.
     */
    @Test
    void anEmbeddedSourceReportsItsRetainedWalAndDropsItsSlotAtClose() throws Exception {
        String s = schema();
        sql("create table " + s + ".t (id int primary key)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(s, "t"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            assertThat(slots(s)).isEqualTo(1);
            assertThat(src.gauges()).containsKey("source_retained_wal_bytes");
            assertThat(src.gauges().get("source_retained_wal_bytes")).isNotNegative();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> slots(s) == 0);
    }

    static int slots(String schema) throws Exception {
        try (Connection c = pg.connect();
                Statement st = c.createStatement();
                java.sql.ResultSet r = st.executeQuery(
                        "select count(*) from pg_replication_slots where slot_name = 'slot_" + schema + "'")) {
            r.next();
            return r.getInt(1);
        }
    }

    @Test
    void aSourceStartedOnABackendWithRowsOfAnEmptyTableEmptiesIt() throws Exception {
        String s = schema();
        sql("create table " + s + ".items (id int primary key, v int)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        // Rows of an earlier run of the source; the table has been emptied in Postgres since.
        b.ingestAtomically(
                "items",
                1,
                List.of(dev.livequery.core.Engine.Change.upsert(
                        "1",
                        new ObjectMapper().createObjectNode().put("id", "1").put("v", 1))));
        try (PostgresSource src = PostgresSource.start(config(s, "items"), b)) {
            await().atMost(Duration.ofSeconds(60)).until(src::loaded);
            assertThat(ids(b, "items"))
                    .as("the empty snapshot replaced the backend's rows")
                    .isEmpty();
            sql("insert into " + s + ".items values (5, 5)");
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(ids(b, "items")).containsExactly("5"));
        }
    }

    static List<String> ids(LocalBackend b, String table) throws Exception {
        return b
                .query(dev.livequery.core.Query.parse(
                        new ObjectMapper().readTree("{\"table\":\"" + table + "\",\"limit\":100}")))
                .rows()
                .stream()
                .map(r -> r.id())
                .toList();
    }

    static boolean exists(LocalBackend b, String id) {
        return exists(b, "items", id);
    }

    static boolean exists(LocalBackend b, String table, String id) {
        try {
            b.get(table, id);
            return true;
        } catch (LiveQueryException e) {
            return false;
        }
    }
}
