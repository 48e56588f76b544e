package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.Transactions.Done;
import dev.livequery.sources.postgres.Transactions.Snapshot;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
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

    static SourceRecord heartbeat(Map<String, ?> offset) {
        return new SourceRecord(Map.of("server", "livequery"), offset, "__debezium-heartbeat.livequery", null, null);
    }
}
