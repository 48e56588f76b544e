package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.Transactions.Snapshot;
import dev.livequery.sources.postgres.Transactions.Txn;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Where a source's units go: the gateway's own engine in embedded mode ({@link LocalApplier}),
 * the Redis row store in cluster mode ({@link RedisApplier}). {@link PostgresSource} calls it on
 * the engine's thread only, and acknowledges a batch's records to Postgres only after
 * {@link #batchDone} returned: an applier may hold a batch's transactions back and write them
 * there, together.
 */
interface Applier {
    /** Replaces every fed table's rows with the snapshot's; {@code last} is its last record. */
    void snapshot(Snapshot s, SourceRecord last) throws Exception;

    /**
     * Applies one transaction, atomically per fed table (at the latest in {@link #batchDone});
     * false if it had been applied before (a replay).
     */
    boolean transaction(Txn t, SourceRecord end) throws Exception;

    /** A record that only moves the position (a heartbeat), about to be acknowledged. */
    default void position(SourceRecord r) throws Exception {}

    /** After a batch of records, before Debezium may acknowledge any of them to Postgres: write what waits. */
    default void batchDone() throws Exception {}

    /**
     * Whether {@code e}, thrown by this applier, says that it may no longer write because another
     * process streams the source now (cluster mode: a write refused by the lease's fence), whose
     * owner was told before it was thrown and is closing the source: the source then stops without
     * calling it a failure. Anything else this applier throws fails the source.
     */
    default boolean superseded(Exception e) {
        return false;
    }
}
