package dev.livequery.core;

import java.util.ArrayDeque;
import java.util.List;

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
    private final Table table;
    private final Runnable wakeup;
    private final int maxQueued;
    private final ArrayDeque<Frame> queue = new ArrayDeque<>();
    private LiveWindow window;
    private volatile Query query;
    private String pendingReset;
    private boolean closed;

    private final LocalBackend backend;
    private final java.util.function.Consumer<LocalSubscription> onClose;

    LocalSubscription(Table table, Query query, Runnable wakeup, int maxQueued, LocalBackend backend,
            java.util.function.Consumer<LocalSubscription> onClose) {
        this.backend = backend;
        this.onClose = onClose;
        this.table = table;
        this.query = query;
        this.wakeup = wakeup;
        this.maxQueued = maxQueued;
    }

    void attach(LiveWindow w) {
        this.window = w;
    }

    /** Called by the engine under the table lock. */
    void offer(Frame f) {
        boolean wake;
        synchronized (this) {
            if (closed || pendingReset != null) {
                return;
            }
            if (queue.size() >= maxQueued) {
                queue.clear();
                pendingReset = "overflow";
                wake = true; // a consumer that saw the queue go quiet must learn of the reset
            } else {
                wake = queue.isEmpty();
                queue.addLast(f);
            }
        }
        if (wake) {
            wakeup.run();
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
            if (closed || pendingReset != null) {
                return;
            }
            if (!queue.isEmpty() && queue.size() + frames.size() > maxQueued) {
                queue.clear();
                pendingReset = "overflow";
                wake = true;
            } else {
                wake = queue.isEmpty();
                queue.addAll(frames);
            }
        }
        if (wake) {
            wakeup.run();
        }
    }

    void resetLater(String cause) {
        synchronized (this) {
            queue.clear();
            pendingReset = cause;
        }
        wakeup.run();
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
                        return out.size() - before;
                    }
                }
            } finally {
                table.lock.unlock();
            }
        }
        synchronized (this) {
            int n = Math.min(max, queue.size());
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
            LocalBackend.Placement p = backend.placement(window.view, w);
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
            }
            window.view.windows.remove(window);
            table.release(window.view);
            onClose.accept(this);
        } finally {
            table.lock.unlock();
        }
    }
}
