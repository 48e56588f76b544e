package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.Transactions.Done;
import dev.livequery.sources.postgres.Transactions.Snapshot;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * When every fed table is empty Debezium's snapshot has no record: the first record after it (a
 * heartbeat here) ends it with an empty snapshot of every fed table, so rows livequery still
 * holds are removed; an engine that resumes (no snapshot) takes a heartbeat as a position only.
 */
class TransactionsTest {
    static final List<TableMapping> TABLES = RedisApplierTest.TABLES;

    @Test
    void aSnapshotWithoutRecordsEndsAtTheFirstHeartbeatAsEveryFedTableEmpty() throws Exception {
        Transactions t = new Transactions(TABLES, new AtomicLong(), true);
        assertThat(t.accept(heartbeat(Map.of("lsn", 40L, "snapshot", true))))
                .as("still the snapshot's offset")
                .isInstanceOf(Done.class);
        Transactions.Unit u = t.accept(heartbeat(Map.of("lsn", 50L)));
        assertThat(u).isInstanceOf(Snapshot.class);
        Snapshot s = (Snapshot) u;
        assertThat(s.lsn()).isEqualTo(50);
        assertThat(s.rows()).containsOnlyKeys(TABLES);
        assertThat(s.rows().values()).allMatch(List::isEmpty);
        assertThat(t.accept(heartbeat(Map.of("lsn", 60L)))).as("once").isEqualTo(new Done(true, 60));
    }

    @Test
    void aResumingEngineTakesAHeartbeatAsAPositionOnly() throws Exception {
        Transactions t = new Transactions(TABLES, new AtomicLong(), false);
        assertThat(t.accept(heartbeat(Map.of("lsn", 50L)))).isEqualTo(new Done(true, 50));
    }

    /**
     * The first transaction after a snapshot that had no row becomes part of it: its rows in the
     * empty tables (an update leaving the TOASTed body unchanged filled from the row the
     * transaction inserted, a row it inserted and deleted absent), as of its commit LSN.
     */
    @Test
    void aTransactionRightAfterAnEmptySnapshotIsFoldedIntoIt() throws Exception {
        Transactions t = new Transactions(TABLES, new AtomicLong(), true);
        assertThat(t.accept(transaction("BEGIN", Map.of("lsn", 50L)))).isInstanceOf(Done.class);
        assertThat(t.accept(change("c", 1, 1, "long"))).isInstanceOf(Done.class);
        assertThat(t.accept(change("u", 1, 2, ColumnValues.UNAVAILABLE))).isInstanceOf(Done.class);
        assertThat(t.accept(change("c", 2, 1, "x"))).isInstanceOf(Done.class);
        assertThat(t.accept(change("d", 2, 1, "x"))).isInstanceOf(Done.class);
        Transactions.Unit u = t.accept(transaction("END", Map.of("lsn", 58L, "lsn_commit", 60L)));
        assertThat(u).isInstanceOf(Snapshot.class);
        Snapshot s = (Snapshot) u;
        assertThat(s.lsn()).isEqualTo(60);
        assertThat(s.rows().get(RedisApplierTest.ITEMS))
                .extracting(Object::toString)
                .containsExactly("{\"id\":\"1\",\"n\":2,\"body\":\"long\"}");
        assertThat(s.rows().get(RedisApplierTest.PAIRS)).isEmpty();
    }

    /** items' row image: id, n and a TOASTable body. */
    static final Schema IMAGE = SchemaBuilder.struct()
            .field("id", Schema.INT32_SCHEMA)
            .field("n", Schema.INT32_SCHEMA)
            .field("body", Schema.STRING_SCHEMA)
            .optional()
            .build();

    static final Schema SOURCE = SchemaBuilder.struct()
            .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
    static final Schema ENVELOPE = SchemaBuilder.struct()
            .field("op", Schema.STRING_SCHEMA)
            .field("before", IMAGE)
            .field("after", IMAGE)
            .field("source", SOURCE)
            .build();
    static final Schema TRANSACTION = SchemaBuilder.struct()
            .field("status", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA)
            .build();

    /** A change of items as Debezium sends it while streaming ({@code d}: the row is {@code before}). */
    static SourceRecord change(String op, int id, int n, String body) {
        Struct row = new Struct(IMAGE).put("id", id).put("n", n).put("body", body);
        Struct v = new Struct(ENVELOPE)
                .put("op", op)
                .put(op.equals("d") ? "before" : "after", row)
                .put("source", new Struct(SOURCE));
        return new SourceRecord(
                Map.of("server", "livequery"),
                Map.of("lsn", 55L),
                EngineProperties.topic(RedisApplierTest.ITEMS),
                null,
                ENVELOPE,
                v);
    }

    /** A BEGIN or END record. */
    static SourceRecord transaction(String status, Map<String, ?> offset) {
        Struct v = new Struct(TRANSACTION).put("status", status).put("ts_ms", 0L);
        return new SourceRecord(
                Map.of("server", "livequery"), offset, Transactions.TRANSACTION_TOPIC, null, TRANSACTION, v);
    }

    static SourceRecord heartbeat(Map<String, ?> offset) {
        return new SourceRecord(Map.of("server", "livequery"), offset, "__debezium-heartbeat.livequery", null, null);
    }
}
