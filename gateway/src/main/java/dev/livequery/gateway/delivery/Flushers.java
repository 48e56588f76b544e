package dev.livequery.gateway.delivery;

import dev.livequery.core.Frame;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The threads that write every WebSocket connection's frames: a few virtual threads shared by all
 * connections of a gateway, taking connections with work from one queue, one writer pass each.
 *
 * <p>Why shared: a change that reaches a hundred connections used to wake a hundred writer threads,
 * one scheduling round trip (unpark, mount, park) per delivery, which was the largest single cost
 * on the fan-out path. Now it queues a hundred connections and wakes at most {@link #CORE} threads,
 * which then write them one after another, as an event loop would. A connection is in the queue at
 * most once ({@link Outbound}'s claim), so one connection is only ever written by one thread at a
 * time, and a connection with more work after its pass goes to the back of the queue, so a busy
 * one cannot starve the others.
 *
 * <p>The price of sharing is that a socket write can block: a client that does not read fills its
 * TCP window, and Helidon's writes have no timeout. A thread blocked in one client's write must not
 * hold up everyone else's frames. So each thread publishes when its current pass started, and when
 * every thread has been in its pass for longer than {@link #STUCK}, whoever queues work next (or
 * the watchdog's tick) starts a spare thread. A spare ends after {@link #SPARE_LINGER} without
 * work. The stuck thread stays with its client until the write ends or the write deadline's abort
 * breaks it ({@link Outbound#abort}), so threads grow with the number of clients stuck at once
 * (each one a parked virtual thread, as every connection had before), never with connections.
 */
final class Flushers implements AutoCloseable {
    /** Threads that stay: one per carrier, since a pass is CPU work until the socket write. */
    static final int CORE = Math.max(1, Runtime.getRuntime().availableProcessors());
    /**
     * A pass longer than this is taken to be blocked in a write. Normal passes take microseconds;
     * a thread that the OS or a GC paused this long also counts, which only starts a spare early.
     */
    static final long STUCK = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long a spare waits for work before it ends. */
    static final long SPARE_LINGER = TimeUnit.MILLISECONDS.toNanos(100);

    private static final ThreadFactory THREADS =
            Thread.ofVirtual().name("ws-flusher-", 0).factory();

    /** Connections with work; each is here at most once (see the class comment). */
    private final LinkedTransferQueue<Outbound> queue = new LinkedTransferQueue<>();
    /** Every running thread, core and spare: a copy-on-write array, read on every submit. */
    private volatile Flusher[] all = new Flusher[0];

    private volatile boolean closed;

    Flushers() {
        for (int i = 0; i < CORE; i++) {
            start(false);
        }
    }

    /** Queues a connection that has work; the caller holds its claim. Never blocks. */
    void submit(Outbound o) {
        queue.offer(o); // hands it straight to a waiting thread, or queues it
        long now = System.nanoTime();
        if (stuck(now)) {
            start(true);
        }
    }

    /** The watchdog's tick: work may be waiting behind stuck threads with nobody queueing more. */
    void check(long now) {
        if (!queue.isEmpty() && stuck(now)) {
            start(true);
        }
    }

    private boolean stuck(long now) {
        for (Flusher f : all) {
            long since = f.since;
            if (since == 0 || now - since < STUCK) {
                return false;
            }
        }
        return !closed;
    }

    private void start(boolean spare) {
        Flusher f = new Flusher(spare);
        synchronized (this) {
            if (closed) {
                return;
            }
            Flusher[] now = Arrays.copyOf(all, all.length + 1);
            now[now.length - 1] = f;
            all = now; // registered before it runs: the next submit sees a thread that is not stuck
        }
        f.thread = THREADS.newThread(f);
        f.thread.start();
    }

    private synchronized void remove(Flusher f) {
        List<Flusher> keep = new ArrayList<>(Arrays.asList(all));
        keep.remove(f);
        all = keep.toArray(new Flusher[0]);
    }

    /** Stops the threads once they are idle; connections still open are the server's to end. */
    @Override
    public void close() {
        Flusher[] stop;
        synchronized (this) {
            closed = true;
            stop = all;
        }
        for (Flusher f : stop) {
            f.stop = true;
            if (f.since == 0) {
                f.thread.interrupt(); // waiting in take: not in anyone's write
            }
        }
    }

    private final class Flusher implements Runnable {
        private final boolean spare;
        /** When the current pass started; 0 between passes. */
        volatile long since;

        volatile boolean stop;
        Thread thread;

        Flusher(boolean spare) {
            this.spare = spare;
        }

        @Override
        public void run() {
            List<Frame> batch = new ArrayList<>(Writes.TURN);
            boolean normal = false;
            try {
                while (!stop) {
                    Outbound o = spare ? queue.poll(SPARE_LINGER, TimeUnit.NANOSECONDS) : queue.take();
                    if (o == null) {
                        normal = true;
                        return;
                    }
                    since = System.nanoTime();
                    try {
                        o.flush(batch);
                    } finally {
                        since = 0;
                    }
                }
                normal = true;
            } catch (InterruptedException e) {
                normal = true; // closed
            } finally {
                remove(this);
                if (!normal && !spare && !closed) {
                    start(false); // an Error left the pass (Outbound handles exceptions): keep CORE threads
                }
            }
        }
    }
}
