package dev.livequery.sources.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LocalBackend;
import dev.livequery.core.LocalBackend.Change;
import dev.livequery.core.Row;
import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.Transactions.Done;
import dev.livequery.sources.postgres.Transactions.Pending;
import dev.livequery.sources.postgres.Transactions.Snapshot;
import dev.livequery.sources.postgres.Transactions.Txn;
import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * One PostgreSQL source in embedded mode: Debezium's embedded engine streams the publication,
 * {@link Transactions} cuts the stream into snapshot and transactions, and each is applied to the
 * {@link LocalBackend} as one atomic step per table. The slot is acknowledged (Debezium commits
 * the offset) only for records whose unit was applied.
 *
 * <p>Exactly once within a process: a transaction whose commit LSN is at or below the last
 * applied one is a replay (Debezium restarted its task after a lost connection) and is skipped.
 *
 * <p>When the restarted task cannot connect either (Postgres still down or starting up), the
 * engine stops for good; a connection failure then rebuilds it ({@link Reconnects}: 0.5 s
 * doubling to 10 s, for as long as it takes), resuming from the offsets it committed
 * ({@link HeldOffsets}), i.e. after the last applied transaction.
 */
public final class PostgresSource implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PostgresSource.class.getName());
    /**
     * Debezium and Kafka Connect log every setting and state change at INFO; our own lines say
     * what an operator needs. Kept as fields so the levels stay (JUL holds loggers weakly); a
     * level set in the logging configuration wins.
     */
    private static final List<Logger> QUIET = quiet("io.debezium", "org.apache.kafka");

    private static List<Logger> quiet(String... names) {
        List<Logger> out = new ArrayList<>();
        for (String n : names) {
            Logger l = Logger.getLogger(n);
            if (java.util.logging.LogManager.getLogManager().getProperty(n + ".level") == null) {
                l.setLevel(Level.WARNING);
            }
            out.add(l);
        }
        return out;
    }

    /** Versions are {@code commitLsn << 16 | i}: room for 65,536 changes per table per transaction. */
    static final int VERSION_SHIFT = 16;

    /** What the source is doing, for {@code /health}. */
    public enum State { STARTING, STREAMING, RECONNECTING, FAILED, STOPPED }

    private final PostgresSourceConfig config;
    private final LocalBackend backend;
    private final String offsetsKey = "pg-source-" + SOURCES.incrementAndGet();
    /** Rebuilt with each engine: a unit the old engine left open is replayed whole by the new one. */
    private Transactions transactions;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "livequery-pg-source"));
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "livequery-pg-reconnect");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong reconnects = new AtomicLong();
    private int attempt; // failed engine starts in a row; engine-callback and retry threads, under this
    private final AtomicLong transactionsApplied = new AtomicLong();
    private final AtomicLong changesApplied = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong snapshots = new AtomicLong();
    private static final AtomicLong SOURCES = new AtomicLong();
    private volatile DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> engine;
    private volatile State state = State.STARTING;
    private volatile boolean loaded;
    private volatile String error;
    private volatile long appliedLsn = -1;
    private volatile long receivedLsn = -1;
    private volatile long lagMillis;
    private volatile boolean closing;

    private PostgresSource(PostgresSourceConfig config, LocalBackend backend) {
        this.config = config;
        this.backend = backend;
        this.transactions = new Transactions(config.tables());
    }

    /**
     * Checks the database ({@link Catalog}), then starts streaming in the background. Every
     * problem the database can show at start is thrown here, as one coded line.
     */
    public static PostgresSource start(PostgresSourceConfig config, LocalBackend backend) throws SourceException {
        Catalog.check(config);
        PostgresSource s = new PostgresSource(config, backend);
        s.runEngine();
        LOG.info("postgres source: streaming publication " + config.publication() + " through slot " + config.slot()
                + " of " + config.url() + " into " + config.tables().stream().map(TableMapping::table).toList());
        return s;
    }

    private void runEngine() throws SourceException {
        transactions = new Transactions(config.tables());
        engine = DebeziumEngine.create(Connect.class).using(EngineProperties.of(config, offsetsKey))
                .notifying(this::handle)
                .using((success, message, err) -> ended(success, message, err))
                .build();
        thread.execute(engine);
    }

    public PostgresSourceConfig config() {
        return config;
    }

    public State state() {
        return state;
    }

    /** Whether the first snapshot is in the backend (before that, fed tables are empty, not current). */
    public boolean loaded() {
        return loaded;
    }

    /** Why the source failed, or null. */
    public String error() {
        return error;
    }

    /** The commit LSN of the last applied transaction (or of the snapshot), -1 before any. */
    public long position() {
        return appliedLsn;
    }

    /** Counters and gauges, reported as {@code livequery_backend_source_*} metrics. */
    public Map<String, Long> gauges() {
        Map<String, Long> g = new LinkedHashMap<>();
        g.put("source_position", Math.max(appliedLsn, 0));
        g.put("source_received_position", Math.max(receivedLsn, 0));
        g.put("source_lag_ms", lagMillis);
        g.put("source_transactions", transactionsApplied.get());
        g.put("source_changes", changesApplied.get());
        g.put("source_duplicates_skipped", duplicates.get());
        g.put("source_snapshots", snapshots.get());
        g.put("source_reconnects", reconnects.get());
        g.put("source_streaming", state == State.STREAMING ? 1L : 0L);
        return g;
    }

    private void handle(List<ChangeEvent<SourceRecord, SourceRecord>> records,
            DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer) throws InterruptedException {
        try {
            for (ChangeEvent<SourceRecord, SourceRecord> e : records) {
                Transactions.Unit u = transactions.accept(e.value());
                switch (u) {
                    case Snapshot s -> {
                        applySnapshot(s);
                        committer.markProcessed(e);
                    }
                    case Txn t -> {
                        applyTxn(t);
                        committer.markProcessed(e);
                    }
                    case Done d -> {
                        if (d.lsn() > receivedLsn) {
                            receivedLsn = d.lsn();
                        }
                        if (d.idle()) {
                            committer.markProcessed(e);
                            streaming();
                        }
                    }
                }
            }
            committer.markBatchFinished();
        } catch (SourceException | LiveQueryException | RuntimeException ex) {
            fail(ex instanceof SourceException se ? se.line() : "could not apply a change: " + ex, ex);
            throw new IllegalStateException(error, ex); // stops the engine: nothing after is applied
        }
    }

    private void streaming() {
        loaded = true;
        if (state == State.STARTING || state == State.RECONNECTING) {
            boolean back = state == State.RECONNECTING;
            synchronized (this) {
                attempt = 0;
            }
            state = State.STREAMING;
            LOG.info("postgres source: " + (back ? "reconnected, " : "") + "streaming from LSN " + appliedLsn);
        }
    }

    private void applySnapshot(Snapshot s) throws LiveQueryException {
        long version = s.lsn() << VERSION_SHIFT;
        int rows = 0;
        for (Map.Entry<TableMapping, List<ObjectNode>> e : s.rows().entrySet()) {
            List<Row> table = new ArrayList<>(e.getValue().size());
            for (ObjectNode r : e.getValue()) {
                table.add(new Row(r.get("id").textValue(), version, r));
            }
            rows += table.size();
            // Windows open from before this snapshot start over: their history is gone (PROTOCOL §3 'epoch').
            backend.restore(e.getKey().table(), table, Math.max(version, backend.lastChange(e.getKey().table())), "epoch");
        }
        appliedLsn = s.lsn();
        snapshots.incrementAndGet();
        LOG.info("postgres source: snapshot of " + rows + " rows as of LSN " + s.lsn() + " loaded");
        streaming();
    }

    private void applyTxn(Txn t) throws LiveQueryException {
        streaming();
        if (t.commitLsn() <= appliedLsn) {
            duplicates.incrementAndGet();
            return;
        }
        for (Map.Entry<TableMapping, List<Pending>> e : t.changes().entrySet()) {
            String table = e.getKey().table();
            backend.ingestAtomically(table, t.commitLsn() << VERSION_SHIFT, resolve(table, e.getValue()));
        }
        appliedLsn = t.commitLsn();
        if (t.commitLsn() > receivedLsn) {
            receivedLsn = t.commitLsn();
        }
        transactionsApplied.incrementAndGet();
        changesApplied.addAndGet(t.count());
        lagMillis = Math.max(0, System.currentTimeMillis() - t.commitMillis());
    }

    /** Fills columns Debezium could not send (unchanged TOAST) from the row as it was before. */
    private List<Change> resolve(String table, List<Pending> pending) throws LiveQueryException {
        List<Change> out = new ArrayList<>(pending.size());
        Map<String, ObjectNode> latest = new HashMap<>();
        boolean truncated = false;
        for (Pending p : pending) {
            if (p.truncate()) {
                out.add(Change.truncation());
                latest.clear();
                truncated = true;
                continue;
            }
            if (p.after() == null) {
                out.add(Change.delete(p.id()));
                latest.put(p.id(), null);
                continue;
            }
            ObjectNode after = p.after();
            if (!p.unavailable().isEmpty()) {
                ObjectNode before = latest.containsKey(p.id()) || truncated ? latest.get(p.id()) : current(table, p.id());
                for (String column : p.unavailable()) {
                    if (before != null && before.has(column)) {
                        after.set(column, before.get(column).deepCopy());
                    }
                }
            }
            latest.put(p.id(), after);
            out.add(Change.upsert(p.id(), after));
        }
        return out;
    }

    private ObjectNode current(String table, String id) {
        try {
            return backend.get(table, id).data();
        } catch (LiveQueryException e) {
            return null;
        }
    }

    private void ended(boolean success, String message, Throwable err) {
        if (closing) {
            state = State.STOPPED;
            return;
        }
        if (state != State.FAILED && !success && Reconnects.retriable(err)) {
            reconnectLater(err);
            return;
        }
        fail("the Debezium engine stopped: " + message, err);
    }

    /** Called on the engine's thread as it ends; the new engine runs after it on the same thread. */
    private synchronized void reconnectLater(Throwable err) {
        if (closing) {
            state = State.STOPPED;
            return;
        }
        attempt++;
        long delay = Reconnects.delayMillis(attempt);
        state = State.RECONNECTING;
        LOG.warning("postgres source: cannot reach Postgres at " + config.url() + " (" + Reconnects.rootMessage(err)
                + "); reconnect attempt " + attempt + " in " + delay + " ms, resuming after LSN " + appliedLsn
                + "; fed tables keep their last state until then (check that Postgres is up and accepts"
                + " replication connections)");
        retries.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
    }

    private synchronized void reconnect() {
        if (closing) {
            return;
        }
        reconnects.incrementAndGet();
        try {
            runEngine();
        } catch (SourceException | RuntimeException e) {
            fail("could not rebuild the Debezium engine: " + e.getMessage(), e);
        }
    }

    private void fail(String why, Throwable err) {
        if (error == null) {
            error = why;
        }
        state = State.FAILED;
        LOG.log(Level.SEVERE, "postgres source failed, fed tables no longer follow Postgres: " + why, err);
    }

    @Override
    public void close() {
        DebeziumEngine<?> current;
        synchronized (this) {
            closing = true;
            current = engine;
        }
        retries.shutdownNow();
        try {
            if (current != null) {
                current.close();
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "postgres source: closing the engine", e);
        } catch (IllegalStateException e) {
            // the engine had already stopped (the source failed): nothing left to close
        } finally {
            thread.shutdown();
            HeldOffsets.drop(offsetsKey);
            state = State.STOPPED;
        }
    }
}
