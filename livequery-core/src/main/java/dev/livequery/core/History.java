package dev.livequery.core;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The resume horizon of one table: its last changes with before- and after-images.
 *
 * <p>With the current rows and this ring, the table as of any retained change can be rebuilt
 * (roll the changes after it back), which is all a resume token needs. Retention follows
 * PROTOCOL §3: at least {@code horizonChanges} changes or {@code horizonTime}, whichever keeps
 * more, but never more than {@code maxHistory}, so memory stays bounded under any write rate.
 * Images are the same immutable {@link Row}s the table holds, so the ring costs one small object
 * per change plus the superseded row versions.
 *
 * <h2>Why twice the horizon is kept</h2>
 * A resume from a state {@code a} inside the horizon sends a splice whose eids name "frame j of
 * diff(a, now)", so rebuilding them needs {@code a} again. A token is accepted only while the
 * newest state it names is inside the horizon ({@link #within}); the ring keeps twice as much
 * ({@link #floor}), so every splice eid stays resumable for a whole horizon after it was sent.
 *
 * <p>Guarded by the table's lock.
 */
final class History {
    record Change(long seq, String id, Row before, Row after, long nanos) {
    }

    private final ArrayDeque<Change> changes = new ArrayDeque<>();
    private final int horizonChanges;
    private final long horizonNanos;
    private final int maxHistory;
    private long floor;

    History(EngineOptions options) {
        this.horizonChanges = options.horizonChanges();
        this.horizonNanos = options.horizonTime().toNanos();
        this.maxHistory = options.maxHistory();
    }

    /**
     * Whether a client state as of change {@code seq} is inside the resume horizon: at most
     * {@code horizonChanges} changes ago, or younger than {@code horizonTime}, and never more than
     * {@code maxHistory} changes ago.
     */
    boolean within(long seq, long nowNanos) {
        if (seq < floor) {
            return false;
        }
        int after = 0;
        Change firstAfter = null;
        for (Iterator<Change> it = changes.descendingIterator(); it.hasNext(); ) {
            Change c = it.next();
            if (c.seq() <= seq) {
                break;
            }
            after++;
            firstAfter = c;
        }
        if (after > maxHistory) {
            return false;
        }
        return after <= horizonChanges || nowNanos - firstAfter.nanos() <= horizonNanos;
    }

    void add(Change c) {
        changes.addLast(c);
        while (!changes.isEmpty()) {
            Change oldest = changes.peekFirst();
            boolean overCap = changes.size() > 2L * maxHistory;
            boolean expired = changes.size() > 2L * horizonChanges && c.nanos() - oldest.nanos() > 2 * horizonNanos;
            if (!overCap && !expired) {
                break;
            }
            changes.pollFirst();
            floor = oldest.seq();
        }
    }

    /** Forgets everything: the table was replaced wholesale, so no earlier state can be rebuilt. */
    void restart(long seq) {
        changes.clear();
        floor = seq;
    }

    /** The oldest change number the table can be rebuilt at. */
    long floor() {
        return floor;
    }

    /**
     * For every row changed after {@code seq}: its image as of {@code seq} (null when it did not
     * exist then). Rows not in the map are as they are now.
     */
    Map<String, Row> imagesAt(long seq) {
        Map<String, Row> past = new HashMap<>();
        for (Iterator<Change> it = changes.descendingIterator(); it.hasNext(); ) {
            Change c = it.next();
            if (c.seq() <= seq) {
                break;
            }
            past.put(c.id(), c.before()); // walking backwards, the last put is the earliest change
        }
        return past;
    }

    int size() {
        return changes.size();
    }
}
