package dev.livequery.sources.postgres;

import dev.livequery.core.LocalBackend;
import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import java.io.IOException;
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
 * One PostgreSQL source: Debezium's embedded engine streams the publication, and {@link Batches}
 * applies what it hands over through an {@link Applier} (the gateway's engine in embedded mode,
 * Redis under the source lease in cluster mode). The slot is acknowledged (Debezium commits the
 * offset) only for records whose unit was applied.
 *
 * <p>Exactly once: a transaction the applier reports as applied before (a replay after Debezium
 * restarted its task, or after a takeover) is skipped and counted as a duplicate.
 *
 * <p>This class keeps the engine running and says what the source is doing: {@link SilenceWatch}
 * tells it when Postgres has gone quiet, {@link PostgresProbe} when the publication no longer
 * sends every change.
 *
 * <p>When the restarted task cannot connect either (Postgres down or starting up), the
 * engine stops for good; a connection failure then rebuilds it ({@link Reconnects}: 0.5 s
 * doubling to 10 s, for as long as it takes), resuming from the offsets it committed
 * ({@link HeldOffsets}), i.e. after the last applied transaction.
 */
public final class PostgresSource implements SourceStatus {
    private static final Logger LOG = Logger.getLogger(PostgresSource.class.getName());
    /** What the source is doing, for {@code /health}. */
    public enum State {
        STARTING,
        STREAMING,
        RECONNECTING,
        FAILED,
        STOPPED
    }

    private final PostgresSourceConfig config;
    private final String offsetsKey;

    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "livequery-pg-source"));
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "livequery-pg-reconnect");
        t.setDaemon(true);
        return t;
    });

    private int attempt; // failed engine starts in a row; engine-callback and retry threads, under this
    private final SourceCounters counters = new SourceCounters();

    private static final AtomicLong SOURCES = new AtomicLong();
    private volatile DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> engine;
    private volatile State state = State.STARTING;
    private volatile boolean loaded;
    private volatile String error;
    private volatile boolean closing;
    private volatile boolean dropSlotOnClose;
    /** Asks Postgres every second whether it is there and hears the replication connection. */
    private final PostgresProbe probe;
    /** Says when the source hears nothing from Postgres. */
    private final SilenceWatch watch;
    /** Applies what the engine hands over. */
    private final Batches batches;
    /** Where the units go (through {@link #batches}); asked whether what it threw is a failure. */
    private final Applier applier;

    /** A source not started yet: {@link #start} checks the database first. */
    PostgresSource(PostgresSourceConfig config, Applier applier, String offsetsKey) {
        this.config = config;
        this.offsetsKey = offsetsKey;
        this.applier = applier;
        this.probe = new PostgresProbe(
                config, () -> state == State.STREAMING || state == State.RECONNECTING, this::failAndStop);
        this.watch = new SilenceWatch(
                probe,
                JdbcUrls.redact(config.url()),
                () -> state,
                () -> closing,
                this::reconnecting,
                () -> slotLost(null),
                this::failAndStop);
        this.batches = new Batches(config.tables(), applier, counters, this::streaming, probe::answered);
    }

    /** Told by {@link SilenceWatch}: says the source is reconnecting, unless it stopped streaming meanwhile. */
    private boolean reconnecting(String what) {
        synchronized (this) {
            if (closing || state != State.STREAMING) {
                return false;
            }
            state = State.RECONNECTING;
        }
        LOG.warning("postgres source: " + what + ": reconnecting; fed tables keep their state as of "
                + where() + " until it streams again (check that Postgres is up, answers, and accepts"
                + " replication connections)");
        return true;
    }

    /**
     * Embedded mode: checks the database ({@link Catalog}, dropping an idle slot of an earlier
     * run), then starts streaming into {@code backend} in the background. Every problem the
     * database can show at start is thrown here, as one coded line.
     */
    public static PostgresSource start(PostgresSourceConfig config, LocalBackend backend) throws SourceException {
        PostgresSource s = start(
                config, new LocalApplier(backend), Catalog.Slot.DROP_IDLE, "pg-source-" + SOURCES.incrementAndGet());
        // The position lives in this process only: a slot left behind would hold WAL until the
        // next start, which drops it anyway.
        s.dropSlotOnClose = true;
        return s;
    }

    /**
     * Checks the database, then streams into {@code applier}, resuming from the offsets held under
     * {@code offsetsKey} ({@link HeldOffsets}; none: snapshot first). {@code slot}: whether a slot
     * left by an earlier run is dropped (its position is unknown) or resumed from.
     */
    static PostgresSource start(PostgresSourceConfig config, Applier applier, Catalog.Slot slot, String offsetsKey)
            throws SourceException {
        DebeziumLogs.quiet();
        Catalog.check(config, slot);
        PostgresSource s = new PostgresSource(config, applier, offsetsKey);
        ArrayDimensions.listen(DebeziumLogs.DEBEZIUM, s.batches.arrays);
        s.runEngine();
        s.probe.start();
        s.watch.start();
        LOG.info("postgres source: streaming publication " + config.publication() + " through slot " + config.slot()
                + " of " + JdbcUrls.redact(config.url()) + " into "
                + config.tables().stream().map(TableMapping::table).toList());
        return s;
    }

    private void runEngine() throws SourceException {
        watch.heard();
        batches.restart(!HeldOffsets.held(offsetsKey));
        engine = DebeziumEngine.create(Connect.class)
                .using(EngineProperties.of(config, offsetsKey))
                .notifying(this::handle)
                .using((success, message, err) -> ended(success, message, err))
                .build();
        thread.execute(engine);
    }

    @Override
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
        return counters.position();
    }

    /** Ready once the first snapshot is loaded and unless failed (a reconnecting source's windows are exact as of its position). */
    @Override
    public boolean ready() {
        return loaded && state != State.FAILED;
    }

    /** For {@code /health}: the source's state, position and error. */
    @Override
    public Map<String, Object> health() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("type", "postgres");
        h.put("state", state.name().toLowerCase(java.util.Locale.ROOT));
        h.put("loaded", loaded);
        h.put("position", counters.position());
        h.put("lag_ms", counters.lagMillis());
        if (error != null) {
            h.put("error", error);
        }
        return h;
    }

    /** Counters and gauges, reported as {@code livequery_backend_source_*} metrics. */
    @Override
    public Map<String, Long> gauges() {
        return counters.gauges(state == State.STREAMING, probe.retainedWal());
    }

    private void handle(
            List<ChangeEvent<SourceRecord, SourceRecord>> records,
            DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer)
            throws InterruptedException {
        watch.applying();
        try {
            batches.apply(records, committer);
        } catch (InterruptedException ex) {
            throw ex;
        } catch (Exception ex) {
            if (applier.superseded(ex)) {
                // Another process streams the source now, and this one's owner, told before
                // this was thrown, is closing it and says why (ClusterSource): the engine stops
                // as for a close, not as a failure ("fed tables no longer follow Postgres"
                // would be false, and a second line about the same event).
                synchronized (this) {
                    closing = true;
                }
                throw new IllegalStateException(ex.getMessage(), ex);
            }
            fail(ex instanceof SourceException se ? se.line() : "could not apply a change: " + ex, ex);
            throw new IllegalStateException(error, ex); // stops the engine: nothing after is applied
        } finally {
            watch.applied();
        }
    }

    /**
     * Told by {@link Batches} at each record applied or heard: a starting or reconnecting source
     * streams (again). Checked and set under the lock of the other state changes, so that a source
     * the watch has just said reconnecting, that failed or that is closing is left so.
     */
    void streaming() {
        loaded = true;
        boolean back;
        synchronized (this) {
            if (closing || state != State.STARTING && state != State.RECONNECTING) {
                return;
            }
            back = state == State.RECONNECTING;
            if (back && watch.unanswered()) {
                return; // a heartbeat made here: streaming again once Postgres answers
            }
            attempt = 0;
            state = State.STREAMING;
        }
        LOG.info("postgres source: " + (back ? "reconnected, " : "") + "streaming from " + where());
    }

    /**
     * Where the source stands, for log lines: a run that resumed a stored position (a successor's,
     * a restart's) has applied nothing yet, and "LSN -1" read as if it had started over.
     */
    private String where() {
        long lsn = counters.position();
        return lsn >= 0 ? "LSN " + lsn : "the position resumed from";
    }

    private void ended(boolean success, String message, Throwable err) {
        if (closing) {
            state = State.STOPPED;
            return;
        }
        if (state == State.FAILED && error != null) {
            return; // said already, by what failed it
        }
        if (state != State.FAILED && !success && Reconnects.retriable(err)) {
            reconnectLater(err);
            return;
        }
        String lost = state == State.FAILED || success ? null : slotLost(err);
        if (lost != null) {
            fail(lost, err);
            return;
        }
        fail("the Debezium engine stopped: " + message, err);
    }

    /**
     * The coded line when the engine stopped because the slot no longer holds the changes after
     * the applied position (dropped or invalidated while the source was disconnected), else null.
     * Nothing to retry: resuming fails the same way for ever.
     */
    private String slotLost(Throwable err) {
        String why;
        try {
            why = ReplicationSlot.lost(config, -1);
        } catch (SourceException e) {
            why = null; // Postgres cannot be asked: Debezium's message stands
        }
        if (why == null && err != null && Reconnects.positionGone(err)) {
            why = "no longer holds the changes after the last acknowledged position";
        }
        if (why == null) {
            return null;
        }
        return SourceException.line(
                SourceException.Code.SLOT_LOST,
                "replication slot " + config.slot() + " " + why + ": the changes after "
                        + where()
                        + " are lost to it and fed tables stay as they were; "
                        + (dropSlotOnClose
                                ? "restart the gateway to snapshot again"
                                : "the next holder of the source lease snapshots again"));
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
        LOG.warning("postgres source: cannot reach Postgres at " + JdbcUrls.redact(config.url()) + " ("
                + JdbcUrls.redact(Reconnects.rootMessage(err))
                + "); reconnect attempt " + attempt + " in " + delay + " ms, resuming after " + where()
                + "; fed tables keep their last state until then (check that Postgres is up and accepts"
                + " replication connections)");
        retries.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
    }

    private synchronized void reconnect() {
        if (closing) {
            return;
        }
        counters.reconnects.incrementAndGet();
        try {
            runEngine();
        } catch (SourceException | RuntimeException e) {
            fail("could not rebuild the Debezium engine: " + e.getMessage(), e);
        }
    }

    /** Stops the engine of a source that failed outside it; {@link #ended} finds it failed. */
    private void stopEngine() {
        DebeziumEngine<?> current = engine;
        try {
            if (current != null) {
                current.close();
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "postgres source: stopping the engine of a failed source", e);
        }
    }

    /**
     * Fails the source from outside its engine, and stops the engine, which would retry for ever:
     * the publication no longer sends every change of a fed table ({@link PostgresProbe}), or the
     * slot lost the changes ({@link SilenceWatch}). Stop, loudly, rather than go stale; once: a
     * source that failed meanwhile, or is closing, is left as it is.
     */
    void failAndStop(String line) {
        synchronized (this) {
            if (closing || state == State.FAILED) {
                return;
            }
            fail(line, null);
        }
        stopEngine();
    }

    /**
     * The source is failed for good: the first failure stands and is said once. A batch failing
     * as the engine is being stopped by an earlier failure (the probe's, the watch's) is not news.
     */
    void fail(String why, Throwable err) {
        synchronized (this) {
            if (error != null) {
                LOG.log(Level.FINE, "postgres source, already failed: " + why, err);
                return;
            }
            error = why;
            state = State.FAILED;
        }
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
        watch.close();
        probe.close();
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
            ArrayDimensions.stopListening(batches.arrays);
            HeldOffsets.drop(offsetsKey);
            state = State.STOPPED;
        }
        if (dropSlotOnClose) {
            Catalog.dropSlot(config);
        }
    }
}
