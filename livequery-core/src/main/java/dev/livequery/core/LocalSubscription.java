package dev.livequery.core;

import java.util.ArrayDeque;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A subscription of the embedded backend: a {@link LiveWindow} plus its bounded frame queue.
 *
 * <p>The engine offers frames under the table lock and never waits: past {@code maxQueued} the
 * queue is dropped and replaced by a pending reset ({@code overflow}), whose snapshot is made when
 * the consumer next drains, from the window as it is then. A pending reset is also how the first
 * snapshot is sent, so a subscribe costs the engine no frames at all until someone reads them.
 *
 * <p>Lock order: table lock, then this object's monitor.
 */
final class LocalSubscription implements Subscription {
    private static final Logger LOG = Logger.getLogger(LocalSubscription.class.getName());
    private final Table table;
    private final Runnable wakeup;
    private final int maxQueued;
    private final ArrayDeque<Frame> queue = new ArrayDeque<>();
    private LiveWindow window;
    private volatile Query query;
    private String pendingReset;
    /** Frames at the tail of {@link #queue} that belong to an atomic step still being applied. */
    private int hidden;

    private boolean closed;
    /** The last wakeup threw: the consumer may not know there is something to drain. */
    private boolean wakeFailed;

    /** Told under the table lock once the window is detached (the engine's count, an unused table). */
    private final java.util.function.Consumer<LocalSubscription> onClose;

    LocalSubscription(
            Table table,
            Query query,
            Runnable wakeup,
            int maxQueued,
            java.util.function.Consumer<LocalSubscription> onClose) {
        this.onClose = onClose;
        this.table = table;
        this.query = query;
        this.wakeup = wakeup;
        this.maxQueued = maxQueued;
    }

    /** Called by {@link View#attach}, before any frame. */
    void attach(LiveWindow w) {
        this.window = w;
    }

    Table table() {
        return table;
    }

    /** Called by the engine under the table lock. */
    void offer(Frame f) {
        boolean wake;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (pendingReset != null) {
                wake = wakeFailed;
            } else if (queue.size() >= maxQueued) {
                queue.clear();
                hidden = 0;
                pendingReset = "overflow";
                wake = true; // a consumer that saw the queue go quiet must learn of the reset
            } else if (table.holding) {
                // Part of an atomic step: queued, but invisible to drain until the step ends.
                queue.addLast(f);
                if (hidden++ == 0) {
                    table.held(this);
                }
                wake = false;
            } else {
                wake = queue.size() == hidden || wakeFailed;
                queue.addLast(f);
            }
        }
        if (wake) {
            wake();
        }
    }

    /** The end of an atomic step (under the table lock): its frames become drainable together. */
    void release() {
        boolean wake;
        synchronized (this) {
            wake = hidden > 0 && (queue.size() == hidden || wakeFailed);
            hidden = 0;
        }
        if (wake) {
            wake();
        }
    }

    /**
     * Queues a burst (a splice: reanchor, resume) under the table lock. An empty queue takes a
     * splice whole, however long (at most two windows), so a resume or reanchor on a reading
     * client is never turned into a reset; a queue that already holds frames overflows, as
     * {@link #offer} does, when the splice would take it past {@code maxQueued}. So a client that
     * sends reanchors without reading holds at most {@code max(maxQueued, one splice)} frames.
     */
    void offerAll(List<Frame> frames) {
        boolean wake;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (pendingReset != null) {
                wake = wakeFailed;
            } else if (!queue.isEmpty() && queue.size() + frames.size() > maxQueued) {
                queue.clear();
                hidden = 0;
                pendingReset = "overflow";
                wake = true;
            } else {
                wake = queue.size() == hidden || wakeFailed;
                queue.addAll(frames);
            }
        }
        if (wake) {
            wake();
        }
    }

    void resetLater(String cause) {
        synchronized (this) {
            queue.clear();
            hidden = 0;
            pendingReset = cause;
        }
        wake();
    }

    /**
     * Runs the consumer's wakeup. One that throws must neither fail the write that caused it (the
     * change is stored; other subscriptions must still get it) nor leave this subscription stuck
     * with frames nobody was told about: the wakeup is tried again at the next frame until it
     * goes through, and the consumer then drains everything in order.
     */
    private void wake() {
        try {
            wakeup.run();
            synchronized (this) {
                wakeFailed = false;
            }
        } catch (RuntimeException e) {
            synchronized (this) {
                wakeFailed = true;
            }
            LOG.log(Level.WARNING, "a subscription's wakeup failed; retried at its next frame", e);
        }
    }

    @Override
    public int drain(List<Frame> out, int max) {
        boolean reset;
        synchronized (this) {
            if (closed) {
                return 0;
            }
            reset = pendingReset != null;
        }
        if (reset) {
            table.lock.lock();
            try {
                synchronized (this) {
                    if (pendingReset != null && !closed) {
                        int before = out.size();
                        window.snapshot(pendingReset, table.seq, out);
                        pendingReset = null;
                        queue.clear();
                        hidden = 0;
                        return out.size() - before;
                    }
                }
            } finally {
                table.lock.unlock();
            }
        }
        synchronized (this) {
            int n = Math.min(max, queue.size() - hidden);
            for (int i = 0; i < n; i++) {
                out.add(queue.pollFirst());
            }
            return n;
        }
    }

    @Override
    public synchronized int queued() {
        return queue.size() + (pendingReset != null ? 1 : 0);
    }

    @Override
    public void reanchor(Window w) throws LiveQueryException {
        table.lock.lock();
        try {
            synchronized (this) {
                if (closed) {
                    throw new LiveQueryException(LiveQueryException.Code.UNKNOWN_SUB, "subscription is closed");
                }
            }
            View.Placement p = window.view.placement(w);
            query = query.withWindow(w);
            boolean pending;
            synchronized (this) {
                pending = pendingReset != null;
            }
            if (pending) {
                window.place(p.bound(), p.backward(), w.limit());
            } else {
                List<Frame> frames = new java.util.ArrayList<>();
                window.reanchor(p.bound(), p.backward(), w.limit(), table.seq, frames);
                offerAll(frames);
            }
        } finally {
            table.lock.unlock();
        }
    }

    @Override
    public Query query() {
        return query;
    }

    @Override
    public void close() {
        table.lock.lock();
        try {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                queue.clear();
                hidden = 0;
            }
            window.view.detach(window);
            onClose.accept(this);
        } finally {
            table.lock.unlock();
        }
    }
}
