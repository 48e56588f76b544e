package dev.livequery.gateway.delivery;

import dev.livequery.core.Frame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One connection's outbound path: the subscriptions that have frames ({@link Slot}s, bounded by
 * the backend's per-subscription queues), a small bounded queue of replies (pong, errors), and the
 * one writer thread that drains both, round-robin, and writes them to the {@link Transport}.
 *
 * <p>Nothing but the writer touches the socket, so nothing but the writer can block on a slow
 * peer; the engine only ever flips a flag here. The {@link Connections} watchdog sees a write that
 * has been in progress longer than the deadline and interrupts the writer: on a virtual thread that
 * closes the socket under the blocked write (JDK socket semantics), which is the only way out of a
 * write Helidon gives no timeout for. A close frame could not pass the full send buffer anyway.
 */
public final class Outbound {
    private static final Logger LOG = Logger.getLogger(Outbound.class.getName());
    /** Frames taken from one subscription per turn: enough to batch, small enough to be fair. */
    static final int TURN = 64;
    /** Replies waiting for a client that sends commands but does not read. */
    static final int MAX_REPLIES = 1024;

    private final Connections connections;
    private final Transport transport;
    private final String peer;
    private final long keepAliveNanos;
    private final long idleNanos;
    private final ConcurrentLinkedQueue<Slot> ready = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> replies = new ConcurrentLinkedQueue<>();
    private final AtomicInteger replyCount = new AtomicInteger();
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final AtomicReference<Close> closing = new AtomicReference<>();
    private final AtomicReference<Close> closeAfterDrain = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private final long opened = System.nanoTime();
    private volatile Thread writer;
    private volatile long writeStarted;
    private volatile long lastInbound = System.nanoTime();
    private volatile boolean aborted;
    private volatile boolean pongDue;
    private long framesSent;

    Outbound(Connections connections, Transport transport, String peer, Duration keepAlive, Duration idle) {
        this.connections = connections;
        this.transport = transport;
        this.peer = peer;
        this.keepAliveNanos = keepAlive.toNanos();
        this.idleNanos = idle == null ? 0 : idle.toNanos();
    }

    /** A new subscription slot; {@code name} is the WebSocket sub id or null for SSE. */
    public Slot slot(String name) {
        Slot s = new Slot(this, name);
        slots.put(name == null ? "" : name, s);
        return s;
    }

    /** The named slot, or null. */
    public Slot find(String name) {
        return slots.get(name);
    }

    /** Removes and returns the named slot, or null. */
    public Slot remove(String name) {
        return slots.remove(name);
    }

    public int subscriptions() {
        return slots.size();
    }

    Collection<Slot> slots() {
        return slots.values();
    }

    /** Queues a reply that belongs to no subscription's window (pong, error). Never blocks. */
    public void reply(String json) {
        if (replyCount.incrementAndGet() > MAX_REPLIES) {
            abort(Close.FLOODED);
            return;
        }
        replies.add(json);
        LockSupport.unpark(writer);
    }

    /** Asks the writer to answer a transport-level ping. */
    public void pong() {
        pongDue = true;
        LockSupport.unpark(writer);
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
            LockSupport.unpark(writer);
        }
    }

    /** Ends the connection once every frame already queued has been written. */
    public void closeAfterDrain(Close c) {
        closeAfterDrain.compareAndSet(null, c);
        LockSupport.unpark(writer);
    }

    /** Waits until the writer has finished. */
    public boolean awaitDone(Duration d) throws InterruptedException {
        return done.await(d.toNanos(), TimeUnit.NANOSECONDS);
    }

    void ready(Slot s) {
        ready.add(s);
        LockSupport.unpark(writer);
    }

    /** The socket is stuck: break the blocked write (see the class comment). */
    void abort(Close c) {
        if (closing.compareAndSet(null, c)) {
            aborted = true;
            Thread w = writer;
            if (w != null) {
                w.interrupt();
            }
        }
    }

    /** Called by the watchdog. */
    void check(long now, long deadlineNanos) {
        long started = writeStarted;
        if (started != 0 && now - started > deadlineNanos) {
            abort(Close.SLOW_CONSUMER);
        } else if (idleNanos > 0 && now - lastInbound > idleNanos) {
            close(Close.IDLE);
        }
    }

    int queued() {
        int n = 0;
        for (Slot s : slots.values()) {
            var sub = s.subscription();
            if (sub != null) {
                n += sub.queued();
            }
        }
        return n;
    }

    /**
     * The writer loop; runs on the calling thread (a virtual thread) until the connection ends.
     * For WebSocket it is a thread of its own; for SSE it is the request's handler thread, which has
     * nothing else to do while the stream is open.
     */
    public void run() {
        writer = Thread.currentThread();
        connections.opened(this, transport.kind());
        List<Frame> batch = new ArrayList<>(TURN);
        long nextKeepAlive = System.nanoTime() + keepAliveNanos;
        try {
            while (closing.get() == null) {
                boolean wrote = false;
                if (pongDue) {
                    pongDue = false;
                    writeStarted = System.nanoTime();
                    transport.pong();
                    writeStarted = 0;
                    wrote = true;
                }
                String r;
                while ((r = replies.poll()) != null) {
                    replyCount.decrementAndGet();
                    timed(r, null, null);
                    wrote = true;
                }
                for (int i = ready.size(); i > 0 && closing.get() == null; i--) {
                    Slot s = ready.poll();
                    if (s == null) {
                        break;
                    }
                    wrote |= turn(s, batch);
                }
                long now = System.nanoTime();
                if (wrote) {
                    flush();
                } else if (now - nextKeepAlive >= 0) {
                    writeStarted = now;
                    transport.keepAlive();
                    transport.flush();
                    writeStarted = 0;
                    nextKeepAlive = now + keepAliveNanos;
                } else if (ready.isEmpty() && replies.isEmpty() && !pongDue) {
                    Close after = closeAfterDrain.get();
                    if (after != null) {
                        closing.compareAndSet(null, after);
                        break;
                    }
                    LockSupport.parkNanos(this, nextKeepAlive - now);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // The usual end of an SSE stream: the browser went away and the next write noticed.
            if (closing.compareAndSet(null, Close.GONE)) {
                aborted = true;
                LOG.log(Level.FINE, "write to " + peer + " failed", e);
            }
        } catch (RuntimeException e) {
            if (closing.compareAndSet(null, Close.WRITE_FAILED)) {
                aborted = true;
                LOG.log(Level.WARNING, "writer for " + peer + " failed; closing the connection", e);
            }
        } finally {
            end();
        }
    }

    /** One subscription's turn: drain up to TURN frames (a reset snapshot comes whole), write them. */
    private boolean turn(Slot s, List<Frame> batch) throws IOException {
        s.scheduled.set(false);
        var sub = s.subscription();
        boolean wrote = false;
        if (sub != null) {
            batch.clear();
            int n = sub.drain(batch, TURN);
            for (Frame f : batch) {
                timed(f.toJson(s.name), f.eid(), f);
            }
            if (n > 0) {
                // the oldest frame of the batch: from the engine making it to the socket taking it
                connections.metrics().lag(System.nanoTime() - batch.get(0).createdNanos());
                wrote = true;
            }
            // The backend wakes us only when a queue goes from empty to non-empty; a full turn
            // may have left frames behind.
            if (n >= TURN) {
                s.signal();
            }
        }
        String last = s.last.getAndSet(null);
        if (last != null) {
            timed(last, null, null);
            wrote = true;
        }
        return wrote;
    }

    private void timed(String json, String eid, Frame f) throws IOException {
        writeStarted = System.nanoTime();
        transport.write(json, eid);
        writeStarted = 0;
        framesSent++;
        connections.metrics().sent(transport.kind(), f, json.length());
    }

    private void flush() throws IOException {
        writeStarted = System.nanoTime();
        transport.flush();
        writeStarted = 0;
    }

    private void end() {
        Close c = closing.get();
        writeStarted = 0;
        for (Slot s : slots.values()) {
            var sub = s.subscription();
            if (sub != null) {
                sub.close();
            }
        }
        slots.clear();
        if (!aborted && c != Close.CLIENT) {
            transport.finish(c);
        }
        Thread.interrupted(); // an abort's interrupt must not leak into the server's use of this thread
        connections.closed(this, transport.kind());
        connections.metrics().teardown(c);
        long ms = (System.nanoTime() - opened) / 1_000_000;
        // A client leaving is routine: at INFO, a network blip that drops 10k clients wrote 10k lines
        // through one synchronized handler while they all reconnected (~10% of the gateway's CPU in
        // the reconnect storm). Counted by cause in livequery_teardowns_total either way.
        Level level = c.cause().equals("slow_consumer") || c.cause().equals("write_failed") ? Level.WARNING
                : c == Close.GONE || c == Close.CLIENT || c == Close.STREAM_END ? Level.FINE : Level.INFO;
        LOG.log(level, () -> transport.kind() + " connection " + peer + " closed: " + c.cause() + " (" + c.code() + " "
                + c.reason() + ") after " + ms + " ms, " + framesSent + " frames sent");
        done.countDown();
    }
}
