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
    /** Frames at the tail of {@link #queue} that belong to an atomic step still being applied. */
    private int hidden;
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
                wake = queue.size() == hidden;
                queue.addLast(f);
            }
        }
        if (wake) {
            wakeup.run();
        }
    }

    /** The end of an atomic step (under the table lock): its frames become drainable together. */
    void release() {
        boolean wake;
        synchronized (this) {
            wake = hidden > 0 && queue.size() == hidden;
            hidden = 0;
        }
        if (wake) {
            wakeup.run();
        }
    }

    /** Queues a burst (a splice) without the overflow check, under the table lock. */
    void offerAll(List<Frame> frames) {
        boolean wake;
        synchronized (this) {
            if (closed || pendingReset != null) {
                return;
            }
            wake = queue.size() == hidden;
            queue.addAll(frames);
        }
        if (wake) {
            wakeup.run();
        }
    }

    void resetLater(String cause) {
        synchronized (this) {
            queue.clear();
            hidden = 0;
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
                hidden = 0;
            }
            window.view.windows.remove(window);
            table.release(window.view);
            onClose.accept(this);
        } finally {
            table.lock.unlock();
        }
    }
}
