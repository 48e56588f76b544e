package dev.livequery.gateway.delivery;

import dev.livequery.core.Frame;
import io.helidon.common.socket.SocketWriterException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One connection's outbound path: the subscriptions that have frames ({@link Slot}s, bounded by
 * the backend's per-subscription queues), a small bounded queue of replies (pong, errors), and the
 * one writer that drains both, round-robin, and writes them to the {@link Transport}, one flush
 * per pass. This class runs the writer and ends the connection; what one pass writes is
 * {@link Writes}', and the connection's subscriptions by name are its {@link Slots}.
 *
 * <p>Nothing but the writer touches the socket, so nothing but the writer can block on a slow
 * peer; the engine only ever flips a flag here. The {@link Connections} watchdog sees a write that
 * has been in progress longer than the deadline and marks the connection closing ({@code 4008}).
 * The writer then gets a short grace ({@link #CLOSE_GRACE}, at most the deadline) to finish the
 * write it is blocked in and send the close frame: a client that reads slowly, rather than not at
 * all, sees {@code 4008} and its reason. A writer still inside a write when the grace is over is
 * interrupted (and again each grace after, should an interrupt be lost on the way): on a virtual
 * thread that closes the socket under the blocked write (JDK socket
 * semantics), the only way out of a write Helidon gives no timeout for; that client sees the
 * connection drop without a close frame (1006), since no close frame could pass its full buffer.
 * The watchdog also asks for the keep-alive (ping, heartbeat) when one is due.
 *
 * <p>Two ways to run the writer. WebSocket ({@link #start()}): a virtual thread is started when
 * there is something to write and ends after {@link #LINGER} without work, so an idle connection
 * has no writer thread (its parked stack was a good part of an idle connection's heap), while a
 * busy one keeps its thread. SSE ({@link #run()}): the request's handler thread is the writer,
 * since it has to stay for the stream anyway.
 */
public final class Outbound {
    private static final Logger LOG = Logger.getLogger(Outbound.class.getName());
    /** How long an on-demand writer thread waits for more work before it ends. */
    static final long LINGER = TimeUnit.SECONDS.toNanos(2);
    /** How long a closing connection's writer may still spend in a write (capped by the write deadline). */
    static final long CLOSE_GRACE = TimeUnit.SECONDS.toNanos(2);

    private static final ThreadFactory WRITERS =
            Thread.ofVirtual().name("ws-writer").factory();

    private final Connections connections;
    private final Transport transport;
    /** What the writer writes: replies, keep-alives and the ready slots' frames. */
    private final Writes writes;

    private volatile Runnable onEnd = () -> {};

    private final String peer;
    private final long keepAliveNanos;
    private final long idleNanos;
    private final Slots slots = new Slots(this);

    private final AtomicReference<Close> closing = new AtomicReference<>();
    private final AtomicReference<Close> closeAfterDrain = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private final long opened = System.nanoTime();
    /** A writer thread is running (or starting); on-demand mode only. */
    private final AtomicBoolean running = new AtomicBoolean();

    private volatile boolean onDemand;
    private volatile Thread writer;
    private volatile long writeStarted;
    /** When {@link #closing} was set; the grace for the close frame counts from here. */
    private volatile long closingSince;

    private volatile long lastInbound = System.nanoTime();
    private volatile long lastKeepAlive = System.nanoTime();
    private volatile boolean aborted;
    /** When {@link #abort} last interrupted the writer; 0 if it never did. */
    private volatile long abortedAt;
    /** Watchdog only. */
    private boolean stuckLogged;
    /** When the on-demand writer ran out of work and began to linger; 0 while busy. */
    private volatile long parkedSince;

    Outbound(Connections connections, Transport transport, String peer, Duration keepAlive, Duration idle) {
        this.connections = connections;
        this.transport = transport;
        this.writes = new Writes(this, connections, transport);
        this.peer = peer;
        this.keepAliveNanos = keepAlive.toNanos();
        this.idleNanos = idle == null ? 0 : idle.toNanos();
    }

    /**
     * A new subscription slot; {@code name} is the WebSocket sub id or null for SSE. Null when the
     * connection is closing: its writer has stopped or is stopping, so nothing attached now would
     * ever be written or released.
     */
    public Slot slot(String name) {
        return slots.add(name);
    }

    /** The named slot, or null. */
    public Slot find(String name) {
        return slots.find(name);
    }

    /** Removes and returns the named slot, or null. */
    public Slot remove(String name) {
        return slots.remove(name);
    }

    public int subscriptions() {
        return slots.size();
    }

    Collection<Slot> slots() {
        return slots.all();
    }

    /** Queues a reply that belongs to no subscription's window (pong, error). Never blocks. */
    public void reply(String json) {
        if (closing.get() != null) {
            return; // nobody will write it
        }
        if (!writes.reply(json)) {
            close(Close.FLOODED);
            return;
        }
        wake();
    }

    /** Asks the writer to answer a transport-level ping. */
    public void pong() {
        writes.pongDue();
        wake();
    }

    /** Inbound traffic seen: the idle clock restarts. */
    public void touch() {
        lastInbound = System.nanoTime();
    }

    public boolean closed() {
        return closing.get() != null;
    }

    /**
     * Ends the connection now: the writer stops at its next step. The transport is finished
     * (close frame, end of stream) unless the peer went first.
     */
    public void close(Close c) {
        if (closing.compareAndSet(null, c)) {
            closingSince = System.nanoTime();
            wake();
        }
    }

    /** Ends the connection once every frame already queued has been written. */
    public void closeAfterDrain(Close c) {
        closeAfterDrain.compareAndSet(null, c);
        wake();
    }

    /**
     * Runs once when the connection has ended, whatever ended it. Helidon 4.3.1 calls neither
     * {@code onClose} nor {@code onError} of a WebSocket whose peer vanished without a close frame
     * (its read loop throws outside its handler), so what a connection holds beyond its slots
     * (quota leases, timers) is given back here, at the latest when the watchdog ends it.
     */
    public void onEnd(Runnable r) {
        onEnd = r;
    }

    /** Waits until the writer has finished. */
    public boolean awaitDone(Duration d) throws InterruptedException {
        return done.await(d.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Called by {@link Slot#signal()} once per wakeup (the slot's scheduled flag guards it). */
    void ready(Slot s) {
        writes.ready(s);
        wake();
    }

    /** There is work: unpark the writer, or start one (on demand) if none is running. */
    private void wake() {
        Thread w = writer;
        if (w != null) {
            LockSupport.unpark(w);
        }
        if (onDemand && !running.get() && running.compareAndSet(false, true)) {
            try {
                WRITERS.newThread(this::burst).start();
            } catch (RuntimeException | Error e) {
                running.set(false); // no writer runs: the next wakeup must try again, not find one "running"
                throw e;
            }
        }
    }

    /** Something to write. */
    private boolean hasWork() {
        return writes.hasWork();
    }

    /** Something for a writer to do: write, or end the connection. */
    private boolean needsWriter() {
        return hasWork() || closing.get() != null || closeAfterDrain.get() != null;
    }

    /**
     * The socket is stuck: break the blocked write (see the class comment), with no close frame.
     * {@code c} is the cause unless the connection was closing already.
     */
    void abort(Close c) {
        closing.compareAndSet(null, c);
        abortedAt = System.nanoTime();
        aborted = true;
        Thread w = writer;
        if (w != null) {
            w.interrupt();
        }
        wake();
    }

    /**
     * Aborted a grace ago and still inside a write: the interrupt did not reach the blocked write
     * (taken on the way by code that swallowed it), so the socket is still open under it and would
     * stay so until the peer reads or the process stops. Interrupt again each grace; say so once,
     * with where the writer is, for whoever has to find what took it.
     */
    private void stillStuck(long now) {
        abortedAt = now;
        Thread w = writer;
        if (w == null) {
            return;
        }
        if (!stuckLogged) {
            stuckLogged = true;
            Exception where = new Exception("the writer's stack");
            where.setStackTrace(w.getStackTrace());
            LOG.log(
                    Level.WARNING,
                    "connection " + peer + ": its writer is still in a write a grace after the abort;"
                            + " interrupting it again",
                    where);
        }
        w.interrupt();
    }

    /** Called by the watchdog. */
    void check(long now, long deadlineNanos) {
        long started = writeStarted;
        if (closing.get() != null) {
            long since = closingSince;
            if (!aborted && started != 0 && since != 0 && now - since > Math.min(CLOSE_GRACE, deadlineNanos)) {
                abort(closing.get()); // the grace for the close frame is over: drop the socket
            } else if (aborted && started != 0 && abortedAt != 0 && now - abortedAt > CLOSE_GRACE) {
                stillStuck(now);
            }
        } else if (started != 0 && now - started > deadlineNanos) {
            close(Close.SLOW_CONSUMER);
        } else if (idleNanos > 0 && now - lastInbound > idleNanos) {
            close(Close.IDLE);
        } else if (now - lastKeepAlive >= keepAliveNanos) {
            lastKeepAlive = now;
            writes.keepAliveDue();
            wake();
        } else {
            long parked = parkedSince;
            Thread w = writer;
            if (parked != 0 && w != null && now - parked >= LINGER) {
                LockSupport.unpark(w); // it lingered long enough: let it end
            }
        }
    }

    int queued() {
        return slots.queued();
    }

    /**
     * WebSocket: registers the connection; writer threads are then started on demand (see the
     * class comment).
     */
    public void start() {
        connections.opened(this, transport.kind());
        onDemand = true;
        if (needsWriter()) {
            wake();
        }
    }

    /**
     * SSE: the writer loop on the calling thread (the request's handler thread, which has nothing
     * else to do while the stream is open) until the connection ends.
     */
    public void run() {
        writer = Thread.currentThread();
        connections.opened(this, transport.kind());
        List<Frame> batch = new ArrayList<>(Writes.TURN);
        Error fatal = null;
        try {
            serve(batch);
        } catch (IOException | UncheckedIOException | SocketWriterException e) {
            gone(e);
        } catch (RuntimeException e) {
            failed(e);
        } catch (Error e) {
            failed(e);
            fatal = e;
        } finally {
            end();
        }
        if (fatal != null) {
            throw fatal; // ended and accounted for; the thread's owner still learns of it
        }
    }

    /**
     * The writer loop: passes while there is work, parks while there is none. Returns true when
     * the connection is closing; false when an on-demand writer has been idle for {@link #LINGER}.
     */
    private boolean serve(List<Frame> batch) throws IOException {
        long idleSince = 0;
        try {
            while (closing.get() == null) {
                if (pass(batch) || hasWork()) {
                    // only after idling: no volatile write per busy pass
                    if (idleSince != 0) {
                        idleSince = 0;
                        parkedSince = 0;
                    }
                    continue;
                }
                Close after = closeAfterDrain.get();
                if (after != null) {
                    if (closing.compareAndSet(null, after)) {
                        closingSince = System.nanoTime();
                    }
                    return true;
                }
                if (onDemand) {
                    long now = System.nanoTime();
                    if (idleSince == 0) {
                        idleSince = now;
                        parkedSince = now;
                    } else if (now - idleSince >= LINGER) {
                        return false;
                    }
                }
                // Untimed: a timed park costs a timer per wait; the watchdog unparks a writer that
                // has lingered long enough (check), and then it ends.
                LockSupport.park(this);
            }
            return true;
        } finally {
            parkedSince = 0;
        }
    }

    /**
     * An on-demand writer thread: passes until there is no work for {@link #LINGER} (give or take
     * a watchdog tick), or the end.
     */
    private void burst() {
        Thread me = Thread.currentThread();
        writer = me;
        List<Frame> batch = new ArrayList<>(Writes.TURN);
        try {
            while (true) {
                if (serve(batch)) {
                    break;
                }
                // Idle: end this thread. Whoever queues work after running goes false starts a new one;
                // work queued before it is seen by the check below.
                writer = null;
                running.set(false);
                if (!needsWriter() || !running.compareAndSet(false, true)) {
                    return;
                }
                writer = me;
            }
        } catch (IOException | UncheckedIOException | SocketWriterException e) {
            gone(e);
        } catch (RuntimeException e) {
            failed(e);
        } catch (Error e) {
            // An Error (a stack overflow encoding a frame, out of memory) must still end the
            // connection: left running, it held its slot, its socket and its count for good.
            failed(e);
            end();
            throw e;
        }
        end(); // running stays true: no writer starts after the end
    }

    private void gone(Exception e) {
        // The usual end of a stream whose client went away: the next write noticed.
        aborted = true; // no close frame can reach it, whatever closed the connection first
        if (closing.compareAndSet(null, Close.GONE)) {
            LOG.log(Level.FINE, "write to " + peer + " failed", e);
        }
    }

    private void failed(Throwable e) {
        aborted = true;
        if (closing.compareAndSet(null, Close.WRITE_FAILED)) {
            LOG.log(Level.WARNING, "writer for " + peer + " failed; closing the connection", e);
        }
    }

    /** One pass of the writer (see {@link Writes#pass}), timed for the watchdog. */
    private boolean pass(List<Frame> batch) throws IOException {
        writeStarted = System.nanoTime();
        try {
            return writes.pass(batch);
        } finally {
            writeStarted = 0;
        }
    }

    private void end() {
        Close c = closing.get();
        writeStarted = 0;
        slots.releaseAll(); // closing is set: a slot made before this is released here, none is made after
        if (!aborted && c != Close.CLIENT) {
            writeStarted = System.nanoTime(); // the watchdog's grace covers the close frame too
            transport.finish(c);
            writeStarted = 0;
        }
        Thread.interrupted(); // an abort's interrupt must not leak into the server's use of this thread
        try {
            onEnd.run();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "connection " + peer + ": its end hook failed", e);
        }
        connections.closed(this, transport.kind());
        connections.metrics().teardown(c);
        long ms = (System.nanoTime() - opened) / 1_000_000;
        // A client leaving is routine: at INFO, a network blip that drops 10k clients wrote 10k lines
        // through one synchronized handler while they all reconnected (~10% of the gateway's CPU in
        // the reconnect storm). Counted by cause in livequery_teardowns_total either way.
        Level level = c == Close.SLOW_CONSUMER || c == Close.FLOODED || c == Close.WRITE_FAILED
                ? Level.WARNING
                : c == Close.GONE || c == Close.CLIENT || c == Close.STREAM_END ? Level.FINE : Level.INFO;
        LOG.log(
                level,
                () -> transport.kind().wire() + " connection " + peer + " closed: "
                        + c.cause().wire() + " (" + c.code() + " " + c.reason() + ") after " + ms + " ms, "
                        + writes.framesSent()
                        + " frames sent");
        done.countDown();
    }
}
