package dev.livequery.core;

import java.util.List;

/**
 * One client's live window over a shape. Frames wait in the subscription's own bounded queue
 * until the transport drains them; the engine never waits for the transport.
 *
 * <p>Threading: {@link #drain} is called by one consumer at a time (the connection's writer);
 * {@link #reanchor} and {@link #close} may be called from any thread. Frames of one subscription
 * come out of {@code drain} in the order the engine made them.
 */
public interface Subscription extends AutoCloseable {
    /**
     * Moves up to {@code max} queued frames into {@code out} and returns how many. A pending
     * reset (first snapshot, overflow) is produced here, at dequeue time, from the current
     * window, and is moved whole even when it is longer than {@code max}.
     *
     * <p>The wakeup fires only when the queue goes from empty to non-empty: a consumer that
     * drained fewer frames than were queued must come back (see {@link #queued()}).
     */
    int drain(List<Frame> out, int max);

    /** Frames waiting, for metrics and for the transport's own back-pressure decisions. */
    int queued();

    /**
     * Moves the window to a new place of the same shape: queues only the splice frames that turn
     * the old window into the new one, then {@code ready}.
     */
    void reanchor(Window window) throws LiveQueryException;

    /** The query as it stands after reanchors. */
    Query query();

    /** Ends the subscription; frames still queued are dropped. Idempotent. */
    @Override
    void close();
}
