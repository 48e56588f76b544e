package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.Transactions.Txn;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a source has applied and heard so far, for {@code /health} and the
 * {@code livequery_backend_source_*} metrics. Written by the engine's consumer ({@link Batches})
 * and the reconnects, read by any thread: nothing here decides what is applied (the
 * {@link Applier} does).
 */
final class SourceCounters {
    final AtomicLong reconnects = new AtomicLong();
    final AtomicLong transactionsApplied = new AtomicLong();
    final AtomicLong changesApplied = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong snapshots = new AtomicLong();
    /** Rows left out because their key is no livequery id (Transactions#skip). */
    final AtomicLong skippedRows = new AtomicLong();

    /**
     * The keys of {@link #gauges}, taken from it: {@link ClusterSource} reports them (as zeros)
     * before a source of its own streams, since the gateway registers the metrics it sees at start.
     */
    static final List<String> GAUGES =
            List.copyOf(new SourceCounters().gauges(false, 0).keySet());

    private volatile long appliedLsn = -1;
    private volatile long receivedLsn = -1;
    private volatile long lagMillis;

    /** The commit LSN of the last applied transaction (or of the snapshot), -1 before any. */
    long position() {
        return appliedLsn;
    }

    long lagMillis() {
        return lagMillis;
    }

    void snapshot(long lsn) {
        appliedLsn = lsn;
        snapshots.incrementAndGet();
    }

    /** A commit at {@code lsn} came from Postgres, applied or not. */
    void received(long lsn) {
        if (lsn > receivedLsn) {
            receivedLsn = lsn;
        }
    }

    /**
     * Position, counters and lag move once the batch is written ({@link Applier#batchDone}): in
     * cluster mode a transaction handed to the applier may still wait for its batch's script.
     */
    void written(List<Txn> applied) {
        if (applied.isEmpty()) {
            return;
        }
        for (Txn t : applied) {
            appliedLsn = Math.max(appliedLsn, t.commitLsn());
            transactionsApplied.incrementAndGet();
            changesApplied.addAndGet(t.count());
        }
        lagMillis = Math.max(0, System.currentTimeMillis() - applied.getLast().commitMillis());
    }

    /**
     * The gauges, the same keys in the same order whatever the values ({@link #GAUGES}), with what
     * the source alone knows: whether it streams, the WAL its slot keeps.
     */
    Map<String, Long> gauges(boolean streaming, long retainedWal) {
        Map<String, Long> g = new LinkedHashMap<>();
        g.put("source_position", Math.max(appliedLsn, 0));
        g.put("source_received_position", Math.max(receivedLsn, 0));
        g.put("source_lag_ms", lagMillis);
        g.put("source_transactions", transactionsApplied.get());
        g.put("source_changes", changesApplied.get());
        g.put("source_duplicates_skipped", duplicates.get());
        g.put("source_snapshots", snapshots.get());
        g.put("source_reconnects", reconnects.get());
        g.put("source_streaming", streaming ? 1L : 0L);
        g.put("source_rows_skipped", skippedRows.get());
        g.put("source_retained_wal_bytes", Math.max(retainedWal, 0));
        return g;
    }
}
