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
 * more, but never more than {@code maxHistory} changes nor {@code maxHistoryBytes} of row images,
 * so memory stays bounded under any write rate and any row size.
 * Images are the same immutable {@link Row}s the table holds, so the ring costs one small object
 * per change plus the superseded row versions.
 *
 * <h2>Why twice the horizon is kept</h2>
 * A resume from a state {@code a} inside the horizon sends a splice whose eids name "frame j of
 * diff(a, now)", so rebuilding them needs {@code a} again. Range tokens are accepted only inside
 * the horizon ({@link #within}); the ring keeps twice as much ({@link #floor}), so every splice eid
 * stays resumable for a whole horizon after it was sent.
 *
 * <p>Guarded by the table's lock.
 */
final class History {
    /** One change; {@code cost} is what it keeps alive, in bytes of JSON (see {@link #cost}). */
    record Change(long seq, String id, Row before, Row after, long nanos, long cost) {
        Change(long seq, String id, Row before, Row after, long nanos) {
            this(seq, id, before, after, nanos, History.cost(before, after));
        }
    }

    /** Per change beyond its images: the entry, the ring slot, the map entries of a rebuild. */
    static final long OVERHEAD = 96;

    /**
     * The images' JSON length (their text is made at write time anyway, and cached): a fair
     * proxy for what a change pins, which the tree of the row costs a small multiple of.
     */
    static long cost(Row before, Row after) {
        return OVERHEAD + (before == null ? 0 : before.json().length()) + (after == null ? 0 : after.json().length());
    }

    private final ArrayDeque<Change> changes = new ArrayDeque<>();
    private final int horizonChanges;
    private final long horizonNanos;
    private final int maxHistory;
    private final long maxBytes;
    private long bytes;
    private long floor;

    History(EngineOptions options) {
        this.horizonChanges = options.horizonChanges();
        this.horizonNanos = options.horizonTime().toNanos();
        this.maxHistory = options.maxHistory();
        this.maxBytes = options.maxHistoryBytes();
    }

    /**
     * Whether a client state as of change {@code seq} is inside the resume horizon: at most
     * {@code horizonChanges} changes ago, or younger than {@code horizonTime}, and never more than
     * {@code maxHistory} changes, nor half of {@code maxHistoryBytes}, ago (the other half keeps
     * splice eids resumable, as for changes).
     */
    boolean within(long seq, long nowNanos) {
        if (seq < floor) {
            return false;
        }
        int after = 0;
        long afterBytes = 0;
        Change firstAfter = null;
        for (Iterator<Change> it = changes.descendingIterator(); it.hasNext(); ) {
            Change c = it.next();
            if (c.seq() <= seq) {
                break;
            }
            after++;
            afterBytes += c.cost();
            firstAfter = c;
        }
        if (after > maxHistory || afterBytes > maxBytes / 2) {
            return false;
        }
        return after <= horizonChanges || nowNanos - firstAfter.nanos() <= horizonNanos;
    }

    void add(Change c) {
        changes.addLast(c);
        bytes += c.cost();
        while (!changes.isEmpty()) {
            Change oldest = changes.peekFirst();
            boolean overCap = changes.size() > 2L * maxHistory || bytes > maxBytes && changes.size() > 1;
            boolean expired = changes.size() > 2L * horizonChanges && c.nanos() - oldest.nanos() > 2 * horizonNanos;
            if (!overCap && !expired) {
                break;
            }
            changes.pollFirst();
            bytes -= oldest.cost();
            floor = oldest.seq();
        }
    }

    /** Forgets everything: the table was replaced wholesale, so no earlier state can be rebuilt. */
    void restart(long seq) {
        changes.clear();
        bytes = 0;
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

    /** What the retained changes cost, as {@link #cost} counts it. */
    long bytes() {
        return bytes;
    }
}
