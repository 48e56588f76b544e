package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.PostgresSource.State;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Notices that a streaming source hears nothing from Postgres: a refused connection, a frozen
 * postmaster, a walsender that stopped reading. Debezium retries a lost connection by itself,
 * without telling, and its engine keeps running meanwhile; it makes its heartbeats itself, so they
 * go on while Postgres is frozen or the network drops every packet. So once a second: a streaming
 * source whose engine has handed over nothing (no change, no heartbeat) or whose
 * {@link PostgresProbe} has had no answer for {@link #SILENCE} is told it is reconnecting; it
 * streams again at its next record. Meanwhile the slot is looked at every {@link #SILENCE}: one
 * dropped or invalidated while the connection was down fails the source ({@code source_slot_lost})
 * instead of Debezium retrying for half an hour.
 *
 * <p>On a thread of its own: a probe waiting on a frozen Postgres must not keep the watch from
 * saying so. Looking at the slot may wait on Postgres too, which delays only the next look.
 */
final class SilenceWatch implements AutoCloseable {
    /**
     * How long a streaming source may hear nothing (no change, no heartbeat: those come every
     * second), or get no answer from Postgres ({@link PostgresProbe}: asked every second), before it
     * says it is reconnecting.
     */
    static final Duration SILENCE = Duration.ofSeconds(10);

    private final PostgresProbe probe;
    /** Postgres's, for the WARNING. */
    private final String url;

    private final Supplier<State> state;
    private final BooleanSupplier closing;
    /** Says the source is reconnecting because of the text given, unless it stopped streaming meanwhile: false then. */
    private final Predicate<String> reconnecting;
    /** The coded line when the slot no longer holds the changes after the applied position, else null. */
    private final Supplier<String> slotLost;
    /** Fails the source with the coded line given and stops its engine, which would retry for ever. */
    private final Consumer<String> lost;

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "livequery-pg-watch");
        t.setDaemon(true);
        return t;
    });
    /** When the engine last handed over records (or was built), System.nanoTime(). */
    private volatile long heardNanos = System.nanoTime();
    /** Whether records are being applied now (a slow apply is not silence). */
    private volatile boolean applying;
    /** When the slot was last looked at during a silence, System.nanoTime(); 0: not yet in this one. */
    private long slotCheckedNanos; // watch thread only

    /** Watches the source whose {@code state} and {@code closing} are given; see the fields for the rest. */
    SilenceWatch(
            PostgresProbe probe,
            String url,
            Supplier<State> state,
            BooleanSupplier closing,
            Predicate<String> reconnecting,
            Supplier<String> slotLost,
            Consumer<String> lost) {
        this.probe = probe;
        this.url = url;
        this.state = state;
        this.closing = closing;
        this.reconnecting = reconnecting;
        this.slotLost = slotLost;
        this.lost = lost;
    }

    void start() {
        thread.scheduleWithFixedDelay(this::watch, 1000, 1000, TimeUnit.MILLISECONDS);
    }

    /** A new engine was built: its silence counts from now. */
    void heard() {
        heardNanos = System.nanoTime();
    }

    /** The engine handed over a batch, which is applied until {@link #applied}. */
    void applying() {
        heardNanos = System.nanoTime();
        applying = true;
    }

    void applied() {
        heardNanos = System.nanoTime();
        applying = false;
    }

    /** Whether Postgres has not answered for {@link #SILENCE}: a heartbeat made here proves nothing then. */
    boolean unanswered() {
        return System.nanoTime() - probe.answeredNanos() >= SILENCE.toNanos();
    }

    /** One round; see the class comment. */
    private void watch() {
        if (closing.getAsBoolean() || applying || state.get() == State.FAILED || state.get() == State.STOPPED) {
            slotCheckedNanos = 0;
            return;
        }
        long now = System.nanoTime();
        long silent = now - heardNanos;
        long unansweredFor = now - probe.answeredNanos();
        if (silent < SILENCE.toNanos() && unansweredFor < SILENCE.toNanos() || state.get() == State.STARTING) {
            slotCheckedNanos = 0;
            return;
        }
        if (state.get() == State.STREAMING) {
            String what = silent >= SILENCE.toNanos()
                    ? "nothing from Postgres at " + url + " for " + TimeUnit.NANOSECONDS.toSeconds(silent)
                            + " s (no change, no heartbeat)"
                    : "no answer from Postgres at " + url + ", or no sign that it hears the replication"
                            + " connection, for " + TimeUnit.NANOSECONDS.toSeconds(unansweredFor) + " s ("
                            + probe.unanswered() + ")";
            if (!reconnecting.test(what)) {
                return;
            }
        }
        if (slotCheckedNanos != 0 && now - slotCheckedNanos < SILENCE.toNanos()) {
            return;
        }
        slotCheckedNanos = now;
        String lost = slotLost.get();
        if (lost != null && !closing.getAsBoolean() && !applying && silentNow()) {
            this.lost.accept(lost);
        }
    }

    /** Whether the engine has handed over nothing, or Postgres has not answered, for {@link #SILENCE}. */
    private boolean silentNow() {
        long now = System.nanoTime();
        return now - heardNanos >= SILENCE.toNanos() || now - probe.answeredNanos() >= SILENCE.toNanos();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
