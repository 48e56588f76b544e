package dev.livequery.sources.postgres;

import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Asks Postgres, every {@link #PROBE}, how much WAL the source's slot makes it keep (what a stalled
 * or failed source costs the database, docs: max_slot_wal_keep_size) and when its walsender last
 * read the replication connection: its answer is what tells the source's silence watch that
 * Postgres is there and hears it ({@link #answeredNanos}). Debezium's own heartbeats are made on
 * this side, so they go on while Postgres is frozen or the network drops every packet. Every
 * {@link #WAL_POLL} it also checks that the publication still sends every change of the fed
 * tables ({@link PublicationCheck#recheck}); if not, it hands the start-up check's coded line to {@code
 * unsent}. The gauge is left as it was when Postgres cannot be asked.
 *
 * <p>On a thread of its own, apart from reconnects, which it must not delay; its queries may wait on
 * a server that does not answer (for at most {@link Catalog#TIMEOUTS}), which is why the silence
 * watch runs elsewhere.
 */
final class PostgresProbe implements AutoCloseable {
    /** How often the publication is checked again and {@link #retainedWal} read (a scrape must not wait on Postgres). */
    static final Duration WAL_POLL = Duration.ofSeconds(10);
    /** How often Postgres is asked whether it is there. */
    static final Duration PROBE = Duration.ofSeconds(1);

    private final PostgresSourceConfig config;
    /** Whether the source streams or reconnects now (only then is the publication rechecked). */
    private final BooleanSupplier streaming;
    /** Told the coded line when the publication no longer sends every change of a fed table. */
    private final Consumer<String> unsent;

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "livequery-pg-wal");
        t.setDaemon(true);
        return t;
    });
    /** The probe thread's connection. */
    private Connection walConnection;
    /** When the WAL was last measured and the publication rechecked, System.nanoTime(); 0: never. */
    private long measuredNanos; // probe thread only
    /** WAL the slot keeps (bytes from its confirmed position to the server's), -1 before known. */
    private volatile long retainedWal = -1;
    /**
     * When Postgres last answered and showed it hears the replication connection, or a transaction
     * streamed ({@link #answered}), System.nanoTime().
     */
    private volatile long answeredNanos = System.nanoTime();
    /** Why Postgres's answer is missing, for the source's WARNING; null while it answers. */
    private volatile String unanswered;

    PostgresProbe(PostgresSourceConfig config, BooleanSupplier streaming, Consumer<String> unsent) {
        this.config = config;
        this.streaming = streaming;
        this.unsent = unsent;
    }

    void start() {
        thread.scheduleWithFixedDelay(this::probe, 0, PROBE.toMillis(), TimeUnit.MILLISECONDS);
    }

    long retainedWal() {
        return retainedWal;
    }

    long answeredNanos() {
        return answeredNanos;
    }

    /** Why Postgres has not answered, for a log line. */
    String unanswered() {
        String u = unanswered;
        return u != null ? u : "a query waits for its answer";
    }

    /** One round; see the class comment. */
    private void probe() {
        try {
            if (walConnection == null || walConnection.isClosed()) {
                walConnection = Catalog.connect(config);
            }
            unanswered = null; // while the query waits
            long asked = System.nanoTime();
            long heardAgoMs = -1; // how long ago the server last read the replication connection, -1: not known
            boolean streamed;
            try (java.sql.PreparedStatement s = walConnection.prepareStatement(
                    "select coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn), 0)::int8, s.active,"
                            // reply_time (Postgres 12+): when the slot's walsender last read our status
                            + " coalesce((extract(epoch from clock_timestamp() - (to_jsonb(w) ->> 'reply_time')"
                            + "::timestamptz) * 1000)::int8, -1)"
                            + " from pg_replication_slots s left join pg_stat_replication w on w.pid = s.active_pid"
                            + " where s.slot_name = ?")) {
                s.setString(1, config.slot());
                try (java.sql.ResultSet r = s.executeQuery()) {
                    boolean row = r.next();
                    retainedWal = row ? r.getLong(1) : 0;
                    streamed = row && r.getBoolean(2);
                    if (streamed) {
                        heardAgoMs = r.getLong(3);
                    }
                }
            }
            // Debezium reports its position every second (status.update.interval.ms): a
            // replication connection whose reports do not arrive is lost (a black-holed network,
            // a stuck walsender), even while Debezium's local heartbeats go on. Postgres answered,
            // so it is there as of when it last read one (as of now when it cannot tell).
            if (!streamed) {
                unanswered = "no connection streams the slot " + config.slot() + " on the server's side";
            } else if (heardAgoMs < 0) {
                answered();
            } else {
                long heard = asked - TimeUnit.MILLISECONDS.toNanos(heardAgoMs);
                if (heard - answeredNanos > 0) {
                    answeredNanos = heard;
                }
                unanswered =
                        "the slot's walsender last read the replication connection " + heardAgoMs / 1000 + " s ago";
            }
            long now = System.nanoTime();
            if (streaming.getAsBoolean() && (measuredNanos == 0 || now - measuredNanos >= WAL_POLL.toNanos())) {
                measuredNanos = now;
                PublicationCheck.recheck(walConnection, config);
            }
        } catch (SourceException e) {
            if (e.code() == SourceException.Code.UNREACHABLE) {
                unanswered = JdbcUrls.redact(e.getMessage());
                closeWalConnection();
            } else {
                // Postgres no longer sends every change of a fed table: stop, loudly, rather than go stale.
                unsent.accept(e.line());
            }
        } catch (java.sql.SQLException e) {
            // Postgres unreachable, or not answering within the socket timeout: the watch says so
            unanswered = JdbcUrls.redact(Reconnects.rootMessage(e));
            closeWalConnection();
        }
    }

    /** Postgres is there: a transaction came from it. */
    void answered() {
        answeredNanos = System.nanoTime();
        unanswered = null;
    }

    private void closeWalConnection() {
        try {
            if (walConnection != null) {
                walConnection.close();
            }
        } catch (java.sql.SQLException e) {
            // already gone
        }
        walConnection = null;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(15, TimeUnit.SECONDS); // its connection is closed below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeWalConnection();
    }
}
