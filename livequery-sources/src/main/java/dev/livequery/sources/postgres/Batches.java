package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.Transactions.Done;
import dev.livequery.sources.postgres.Transactions.Snapshot;
import dev.livequery.sources.postgres.Transactions.Txn;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Applies what Debezium's engine hands over, one batch at a time: {@link Transactions} cuts it
 * into snapshot and transactions, each goes to the {@link Applier}, and a record is acknowledged
 * (marked processed, so Debezium commits its offset) only once the batch is written. A
 * transaction the applier reports as applied before (a replay) is counted as a duplicate.
 * Single-threaded: the engine's consumer thread only.
 */
final class Batches {
    /** The snapshot's line is the source's: logged under its name, as operators filter it. */
    private static final Logger LOG = Logger.getLogger(PostgresSource.class.getName());

    private final List<TableMapping> tables;
    private final Applier applier;
    private final SourceCounters counters;
    /** Told that a unit came through, so the source streams (again). */
    private final Runnable streaming;
    /** Told that a transaction came: Postgres is there. */
    private final Runnable fromPostgres;
    /** Renewed with each engine ({@link #restart}). */
    private Transactions transactions;
    /** A column Debezium met a multi-dimensional array in ({@link ArrayDimensions}), else null. */
    private volatile String multiDimensional;

    /** For {@link ArrayDimensions}: one instance, to stop listening with. */
    final Consumer<String> arrays = column -> multiDimensional = column;

    Batches(
            List<TableMapping> tables,
            Applier applier,
            SourceCounters counters,
            Runnable streaming,
            Runnable fromPostgres) {
        this.tables = tables;
        this.applier = applier;
        this.counters = counters;
        this.streaming = streaming;
        this.fromPostgres = fromPostgres;
        restart(true);
    }

    /**
     * For a new engine: a unit the old engine left open is replayed whole by the new one.
     * {@code snapshotting}: the engine starts without offsets, so Debezium snapshots first.
     */
    void restart(boolean snapshotting) {
        transactions = new Transactions(tables, counters.skippedRows, snapshotting);
    }

    /** One batch; anything thrown means nothing after it may be applied. */
    void apply(
            List<ChangeEvent<SourceRecord, SourceRecord>> records,
            DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
            throws Exception {
        // Records are marked processed only after batchDone: an applier may hold a batch's
        // transactions back and write them together there (cluster mode), and nothing may be
        // acknowledged to Postgres before it is written.
        List<ChangeEvent<SourceRecord, SourceRecord>> done = new ArrayList<>(records.size());
        List<Txn> applied = new ArrayList<>();
        for (ChangeEvent<SourceRecord, SourceRecord> e : records) {
            String column = multiDimensional;
            if (column != null) {
                // The bad row is in this batch or a later one: stop before applying it as nulls.
                throw new SourceException(
                        SourceException.Code.UNMAPPABLE_VALUE,
                        "column " + column + " holds a multi-dimensional array, which Debezium reads as nulls"
                                + " (only one-dimensional arrays map): store it as jsonb, or one dimension per"
                                + " column");
            }
            Transactions.Unit u = transactions.accept(e.value());
            switch (u) {
                case Snapshot s -> {
                    applySnapshot(s, e.value());
                    done.add(e);
                }
                case Txn t -> {
                    applyTxn(t, e.value(), applied);
                    done.add(e);
                }
                case Done d -> {
                    counters.received(d.lsn());
                    if (d.idle()) {
                        applier.position(e.value());
                        done.add(e);
                        streaming.run();
                    }
                }
            }
        }
        applier.batchDone();
        counters.written(applied);
        for (ChangeEvent<SourceRecord, SourceRecord> e : done) {
            committer.markProcessed(e);
        }
        committer.markBatchFinished();
    }

    private void applySnapshot(Snapshot s, SourceRecord last) throws Exception {
        applier.snapshot(s, last);
        counters.snapshot(s.lsn());
        LOG.info("postgres source: snapshot of "
                + s.rows().values().stream().mapToInt(List::size).sum() + " rows as of LSN " + s.lsn() + " loaded");
        streaming.run();
    }

    private void applyTxn(Txn t, SourceRecord end, List<Txn> applied) throws Exception {
        fromPostgres.run();
        streaming.run();
        if (!applier.transaction(t, end)) {
            counters.duplicates.incrementAndGet();
            return;
        }
        counters.received(t.commitLsn());
        applied.add(t);
    }
}
