package dev.livequery.redis.backend;

import dev.livequery.core.Frame;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The frames waiting for one subscription's client, and the eid of the last one queued: it names
 * exactly what the client will hold, so a re-attach resumes from it. The shard's frames are
 * bounded: past {@code max} everything queued is dropped (PROTOCOL §6), and with it the eid, as
 * the client gets {@code reset overflow} and a fresh snapshot; the gateway's own status frames
 * always fit, and the last one queued survives an overflow (it is told once). {@code wakeup} runs
 * when the queue turns non-empty. Not thread-safe: its {@link RemoteSubscription}'s lock guards it.
 */
final class FrameQueue {
    private final ArrayDeque<Frame> queue = new ArrayDeque<>();
    private final Runnable wakeup;
    private final int max;
    private String lastEid;

    /** Empty; {@code resume} is the eid the client already holds (null: none). */
    FrameQueue(String resume, Runnable wakeup, int max) {
        this.lastEid = resume;
        this.wakeup = wakeup;
        this.max = max;
    }

    /** Frames from the shard, in order. Returns false if they overflowed the queue: then it is empty. */
    boolean offer(List<Frame> frames) {
        boolean wasEmpty = queue.isEmpty();
        for (Frame f : frames) {
            queue.add(f);
            if (f.eid() != null) {
                lastEid = f.eid();
            }
        }
        if (queue.size() > max) {
            // The last status the client has not read yet stays: the gateway tells each one once
            // (Staleness), so a dropped live would leave the client stale for good, and a dropped
            // stale would leave it unwarned. The reset overflow that follows brings the window.
            Frame status = null;
            for (Frame f : queue) {
                if (f instanceof Frame.Status) {
                    status = f;
                }
            }
            queue.clear();
            if (status != null) {
                queue.add(status);
            }
            lastEid = null;
            return false;
        }
        if (wasEmpty && !queue.isEmpty()) {
            wakeup.run();
        }
        return true;
    }

    /** A frame made here (status stale/live), outside the shard's stream. */
    void offerLocal(Frame f) {
        boolean wasEmpty = queue.isEmpty();
        queue.add(f);
        if (wasEmpty) {
            wakeup.run();
        }
    }

    /** The eid a re-attach resumes from: the last frame queued; "" for none (a fresh snapshot). */
    String resumeFrom() {
        return lastEid == null ? "" : lastEid;
    }

    int drain(List<Frame> out, int n) {
        int taken = 0;
        while (taken < n && !queue.isEmpty()) {
            out.add(queue.poll());
            taken++;
        }
        return taken;
    }

    int size() {
        return queue.size();
    }

    void clear() {
        queue.clear();
    }
}
