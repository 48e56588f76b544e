package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.core.Row;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.redis.store.SourceWrites;
import dev.livequery.redis.store.SourceWrites.Fenced;
import dev.livequery.redis.store.SourceWrites.Position;
import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.Transactions.Pending;
import dev.livequery.sources.postgres.Transactions.Snapshot;
import dev.livequery.sources.postgres.Transactions.Txn;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * Cluster mode's writes over a real redis-server, without Postgres: the transactions of a
 * Debezium batch reach Redis only at {@code batchDone}, per table in one script stored with the
 * last one's position; and a successor that finds the tables at different positions (its
 * predecessor lost the lease between two tables' scripts) applies each table's share of each
 * transaction exactly once, however Debezium cuts the replay into batches.
 */
@Cluster
class RedisApplierTest {
    static final String SLOT = "unit";
    static final TableMapping ITEMS = new TableMapping("public", "items", "items", "id");
    static final TableMapping PAIRS = new TableMapping("public", "pairs", "pairs", "id");
    static final List<TableMapping> TABLES = List.of(ITEMS, PAIRS);

    @Test
    void aBatchReachesRedisAtBatchDoneOneScriptPerTableWithTheLastPosition() throws Exception {
        try (RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2))) {
            SourceWrites writes = new SourceWrites(redis, new RowStore(redis, EngineOptions.defaults()), SLOT);
            RedisApplier a = new RedisApplier(writes, TABLES, 1, Map.of(), () -> true, f -> {});
            a.snapshot(new Snapshot(10, Map.of(ITEMS, List.of(), PAIRS, List.of())), record(10));
            a.batchDone();

            assertThat(a.transaction(
                            txn(20, Map.of(ITEMS, List.of(upsert("1", 1)), PAIRS, List.of(upsert("p", 1)))),
                            record(20)))
                    .isTrue();
            assertThat(a.transaction(txn(30, Map.of(ITEMS, List.of(upsert("1", 2), upsert("2", 1)))), record(30)))
                    .isTrue();
            assertThat(rows(writes, "items"))
                    .as("nothing written before batchDone")
                    .isEmpty();
            assertThat(position(redis, "items")).isEqualTo(new long[] {10, 0});

            a.batchDone();
            assertThat(rows(writes, "items")).isEqualTo(Map.of("1", 2L, "2", 1L));
            assertThat(rows(writes, "pairs")).isEqualTo(Map.of("p", 1L));
            assertThat(position(redis, "items")).as("lsn, changes").isEqualTo(new long[] {30, 3});
            // pairs' own share was at 20; batchDone moves it to the batch's end
            assertThat(position(redis, "pairs")).isEqualTo(new long[] {30, 1});
        }
    }

    @Test
    void aSuccessorAppliesEachTablesShareOnceWhenItsPredecessorStoppedBetweenTables() throws Exception {
        try (RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2))) {
            SourceWrites writes = new SourceWrites(redis, new RowStore(redis, EngineOptions.defaults()), SLOT);
            RedisApplier a = new RedisApplier(writes, TABLES, 1, Map.of(), () -> true, f -> {});
            a.snapshot(new Snapshot(10, Map.of(ITEMS, List.of(), PAIRS, List.of())), record(10));
            a.batchDone();
            Txn t25 = txn(25, Map.of(ITEMS, List.of(upsert("1", 1))));
            Txn t30 = txn(30, Map.of(ITEMS, List.of(upsert("1", 2)), PAIRS, List.of(upsert("p", 7))));
            Txn t40 = txn(40, Map.of(PAIRS, List.of(upsert("q", 1))));
            a.transaction(t25, record(25));
            a.transaction(t30, record(30));
            // The successor claims pairs while the holder writes its batch: items' script gets
            // through, pairs' is refused.
            writes.claim("pairs", 2);
            assertThatThrownBy(a::batchDone).isInstanceOf(Fenced.class);
            assertThat(position(redis, "items")).isEqualTo(new long[] {30, 2});
            assertThat(position(redis, "pairs")).isEqualTo(new long[] {10, 0});

            Map<String, Position> claimed = new HashMap<>();
            for (TableMapping t : TABLES) {
                claimed.put(t.table(), writes.claim(t.table(), 2));
            }
            RedisApplier b = new RedisApplier(writes, TABLES, 2, claimed, () -> true, f -> {});
            // The replay from pairs' position, cut into batches as Debezium may: 25 alone (items
            // has it; pairs must not be moved past 30 for it), then 30 and 40 together.
            assertThat(b.transaction(t25, record(25))).as("25 is in Redis").isFalse();
            b.batchDone();
            assertThat(b.transaction(t30, record(30)))
                    .as("pairs' share of 30 is not")
                    .isTrue();
            assertThat(b.transaction(t40, record(40))).isTrue();
            b.batchDone();

            assertThat(rows(writes, "items")).as("items' shares once each").isEqualTo(Map.of("1", 2L));
            assertThat(rows(writes, "pairs")).isEqualTo(Map.of("p", 7L, "q", 1L));
            assertThat(position(redis, "items")).isEqualTo(new long[] {40, 2});
            assertThat(position(redis, "pairs")).isEqualTo(new long[] {40, 2});
        }
    }

    /**
     * An UPDATE that changes the key comes as a delete of the old id and the new row, whose
     * unchanged TOAST columns are not sent: they are the old row's, in the same batch or from Redis.
     */
    @Test
    void aKeyChangeTakesItsUnchangedToastColumnsFromTheOldRow() throws Exception {
        try (RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2))) {
            SourceWrites writes = new SourceWrites(redis, new RowStore(redis, EngineOptions.defaults()), SLOT);
            RedisApplier a = new RedisApplier(writes, TABLES, 1, Map.of(), () -> true, f -> {});
            ObjectNode d1 = Json.MAPPER
                    .createObjectNode()
                    .put("id", "d1")
                    .put("score", 1)
                    .put("body", "long");
            a.snapshot(new Snapshot(10, Map.of(ITEMS, List.of(d1), PAIRS, List.of())), record(10));
            a.batchDone();
            // d1 -> d2 alone (the old row is Redis'); then d2 -> d3 after an update of d2 in one batch
            a.transaction(txn(20, Map.of(ITEMS, List.of(delete("d1"), moved("d2", "d1", 2)))), record(20));
            a.batchDone();
            assertThat(body(writes, "d2")).isEqualTo("long");
            a.transaction(txn(30, Map.of(ITEMS, List.of(moved("d2", null, 3)))), record(30));
            a.transaction(txn(40, Map.of(ITEMS, List.of(delete("d2"), moved("d3", "d2", 4)))), record(40));
            a.batchDone();
            assertThat(rows(writes, "items")).isEqualTo(Map.of("d3", 4L));
            assertThat(body(writes, "d3")).isEqualTo("long");
        }
    }

    @Test
    void aSnapshotRedisRefusesAsAppliedFailsTheSourceInsteadOfBeingSkipped() throws Exception {
        try (RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2))) {
            SourceWrites writes = new SourceWrites(redis, new RowStore(redis, EngineOptions.defaults()), SLOT);
            RedisApplier a = new RedisApplier(writes, TABLES, 1, Map.of(), () -> true, f -> {});
            a.snapshot(new Snapshot(100, Map.of(ITEMS, List.of(row("1", 1)), PAIRS, List.of())), record(100));
            a.batchDone();

            // A holder whose positions were not forgotten (another history: lower LSNs) snapshots.
            RedisApplier b = new RedisApplier(writes, TABLES, 2, Map.of(), () -> true, f -> {});
            assertThatThrownBy(() -> b.snapshot(
                            new Snapshot(10, Map.of(ITEMS, List.of(row("2", 2)), PAIRS, List.of())), record(10)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("as already applied")
                    .hasMessageContaining("at LSN 10");
            assertThat(rows(writes, "items")).isEqualTo(Map.of("1", 1L));

            // Forgotten (what ClusterSource does before a snapshot): the snapshot replaces the rows.
            for (TableMapping t : TABLES) {
                writes.reset(t.table(), 3);
            }
            RedisApplier c = new RedisApplier(writes, TABLES, 3, Map.of(), () -> true, f -> {});
            c.snapshot(new Snapshot(10, Map.of(ITEMS, List.of(row("2", 2)), PAIRS, List.of())), record(10));
            assertThat(rows(writes, "items")).isEqualTo(Map.of("2", 2L));
            assertThat(position(redis, "items")[0]).isEqualTo(10);
        }
    }

    static ObjectNode row(String id, int score) {
        return Json.MAPPER.createObjectNode().put("id", id).put("score", score);
    }

    static Pending delete(String id) {
        return new Pending(id, null, List.of(), false);
    }

    /** A row whose TOASTed {@code body} was not sent: the new row of a key change from {@code previousId}, or (null) an update. */
    static Pending moved(String id, String previousId, int score) {
        ObjectNode row = Json.MAPPER.createObjectNode().put("id", id).put("score", score);
        return new Pending(id, row, List.of("body"), false, previousId);
    }

    static String body(SourceWrites writes, String id) throws Exception {
        for (Row r : writes.rows().table("items").rows()) {
            if (r.id().equals(id)) {
                return r.data().path("body").asText(null);
            }
        }
        return null;
    }

    static Txn txn(long lsn, Map<TableMapping, List<Pending>> changes) {
        Map<TableMapping, List<Pending>> ordered = new LinkedHashMap<>();
        int n = 0;
        for (TableMapping t : TABLES) {
            if (changes.containsKey(t)) {
                ordered.put(t, changes.get(t));
                n += changes.get(t).size();
            }
        }
        return new Txn(lsn, 0, ordered, n);
    }

    static Pending upsert(String id, int score) {
        ObjectNode row = Json.MAPPER.createObjectNode().put("id", id).put("score", score);
        return new Pending(id, row, List.of(), false);
    }

    /** A record as Debezium hands it: only its position matters here. */
    static SourceRecord record(long lsn) {
        return new SourceRecord(
                Map.of("server", "livequery"), Map.of("lsn", lsn, "lsn_commit", lsn), "livequery", null, null);
    }

    /** Row id → its score, as Redis has them. */
    static Map<String, Long> rows(SourceWrites writes, String table) throws Exception {
        Map<String, Long> out = new HashMap<>();
        for (Row r : writes.rows().table(table).rows()) {
            out.put(r.id(), r.data().get("score").longValue());
        }
        return out;
    }

    /** The table's stored position: commit LSN and the changes counted with it. */
    static long[] position(Redis redis, String table) {
        Map<String, String> h = redis.cmd().hgetall(Keys.sourcePosition(SLOT, table));
        return new long[] {Long.parseLong(h.getOrDefault("lsn", "-1")), Long.parseLong(h.getOrDefault("changes", "0"))};
    }
}
