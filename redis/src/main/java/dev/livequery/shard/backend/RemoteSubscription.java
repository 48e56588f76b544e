package dev.livequery.shard.backend;

import dev.livequery.core.Frame;
import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.core.Window;
import dev.livequery.core.LiveQueryException;
import java.util.ArrayDeque;
import java.util.List;

/**
 * A subscription run by a shard, as the gateway holds it: the frames that arrived from the shard,
 * in a bounded queue of its own, and what is needed to re-attach it elsewhere (the query and the
 * eid of the last frame queued, which names exactly what the client will hold).
 */
final class RemoteSubscription implements Subscription {
    final String sid;
    final int partition;
    private final RedisBackend backend;
    private final Runnable wakeup;
    private final int maxQueued;
    private final ArrayDeque<Frame> queue = new ArrayDeque<>();
    volatile Query query;
    private boolean closed;

    // Attachment state, guarded by this.
    String att;
    String shard;
    long nextBatch = 1;
    String lastEid;
    /** Cause to put on the next reset instead of {@code rewriteFrom} (null: none). */
    String rewriteFrom;
    String rewriteTo;
    boolean needsAttach;
    long attachSentNanos;
    boolean acked;
    /**
     * Held by {@code RedisBackend.attach} from choosing the attachment id to sending it, so two
     * attaches of one subscription (its subscribe and the watcher) reach a shard's control stream
     * in the order they set {@link #att}. Not {@code this}: the delivery reader must not wait for a
     * Redis call.
     */
    final Object attachLock = new Object();

    RemoteSubscription(RedisBackend backend, String sid, Query query, String resume, Runnable wakeup, int maxQueued) {
        this.backend = backend;
        this.sid = sid;
        this.query = query;
        this.partition = dev.livequery.shard.store.Keys.partition(query.shape().table());
        this.lastEid = resume;
        this.wakeup = wakeup;
        this.maxQueued = maxQueued;
    }

    /** Frames from the current attachment, in order. Returns false if the queue overflowed. */
    synchronized boolean offer(List<Frame> frames) {
        if (closed) {
            return true;
        }
        boolean wasEmpty = queue.isEmpty();
        for (Frame f : frames) {
            queue.add(f);
            if (f.eid() != null) {
                lastEid = f.eid();
            }
        }
        if (queue.size() > maxQueued) {
            // PROTOCOL §6: drop what is queued, the client gets reset overflow + a fresh snapshot.
            queue.clear();
            return false;
        }
        if (wasEmpty && !queue.isEmpty()) {
            wakeup.run();
        }
        return true;
    }

    /** A frame made here (status stale/live), outside the shard's stream. */
    synchronized void offerLocal(Frame f) {
        if (closed) {
            return;
        }
        boolean wasEmpty = queue.isEmpty();
        queue.add(f);
        if (wasEmpty) {
            wakeup.run();
        }
    }

    @Override
    public synchronized int drain(List<Frame> out, int max) {
        int n = 0;
        while (n < max && !queue.isEmpty()) {
            out.add(queue.poll());
            n++;
        }
        return n;
    }

    @Override
    public synchronized int queued() {
        return queue.size();
    }

    @Override
    public void reanchor(Window window) throws LiveQueryException {
        backend.reanchor(this, window);
    }

    @Override
    public Query query() {
        return query;
    }

    synchronized boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.clear();
        }
        backend.closed(this);
    }
}
