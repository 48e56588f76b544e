package dev.livequery.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;

/**
 * The resume horizon of one table: its last changes with their before-images.
 *
 * <p>With the current rows and this ring, the table as of any retained change can be rebuilt
 * (roll the changes after it back), which is all a resume token needs. Retention follows
 * PROTOCOL §3: at least {@code horizonChanges} changes or {@code horizonTime}, whichever keeps
 * more, but never more than {@code maxHistory} changes nor {@code maxHistoryBytes} of row images,
 * so memory stays bounded under any write rate and any row size.
 * Images are kept as the JSON text their rows already carry, so the ring costs a few array slots
 * per change plus the text of the superseded row versions.
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
    /** Per change beyond its images: the ring slot, the map entries of a rebuild. */
    static final long OVERHEAD = 96;

    /**
     * The images' JSON length (their text is made at write time anyway, and cached): a fair
     * proxy for what a change pins, which the tree of the row costs a small multiple of.
     */
    static long cost(Row before, Row after) {
        return OVERHEAD + (before == null ? 0 : before.textLength()) + (after == null ? 0 : after.textLength());
    }

    // A ring of parallel arrays, not one record per change: a write allocates nothing here, and
    // the ring holds only what a rebuild needs, the before-image (the after-image is the current
    // row or the next change's before-image), and that as its JSON text and version only: the
    // text is made at write time anyway, while the row's tree (several times the text's size)
    // can then be collected as soon as nothing else holds the row. A rebuild (a resume) parses
    // the few images it needs. Slot i of the ring is (head + i) % capacity.
    private long[] seqs = new long[16];
    private String[] ids = new String[16];
    private String[] befores = new String[16];
    private long[] versions = new long[16];
    private long[] nanos = new long[16];
    private int[] costs = new int[16];
    private int head;
    private int count;

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

    private int slot(int i) {
        int s = head + i;
        return s >= seqs.length ? s - seqs.length : s;
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
        long firstAfterNanos = 0;
        for (int i = count - 1; i >= 0; i--) {
            int s = slot(i);
            if (seqs[s] <= seq) {
                break;
            }
            after++;
            afterBytes += costs[s];
            firstAfterNanos = nanos[s];
        }
        if (after > maxHistory || afterBytes > maxBytes / 2) {
            return false;
        }
        return after <= horizonChanges || nowNanos - firstAfterNanos <= horizonNanos;
    }

    /** Records change {@code seq} of row {@code id} ({@code before} null: it was absent; {@code after} null: deleted). */
    void add(long seq, String id, Row before, Row after, long now) {
        if (count == seqs.length) {
            grow();
        }
        int s = slot(count++);
        int c = (int) Math.min(Integer.MAX_VALUE, cost(before, after));
        seqs[s] = seq;
        ids[s] = id;
        befores[s] = before == null ? null : before.json();
        versions[s] = before == null ? 0 : before.version();
        nanos[s] = now;
        costs[s] = c;
        bytes += c;
        while (count > 0) {
            int o = head;
            boolean overCap = count > 2L * maxHistory || bytes > maxBytes && count > 1;
            boolean expired = count > 2L * horizonChanges && now - nanos[o] > 2 * horizonNanos;
            if (!overCap && !expired) {
                break;
            }
            bytes -= costs[o];
            floor = seqs[o];
            ids[o] = null;
            befores[o] = null;
            head = head + 1 == seqs.length ? 0 : head + 1;
            count--;
        }
    }

    private void grow() {
        int n = seqs.length * 2;
        long[] s2 = new long[n];
        String[] i2 = new String[n];
        String[] b2 = new String[n];
        long[] v2 = new long[n];
        long[] n2 = new long[n];
        int[] c2 = new int[n];
        for (int i = 0; i < count; i++) {
            int s = slot(i);
            s2[i] = seqs[s];
            i2[i] = ids[s];
            b2[i] = befores[s];
            v2[i] = versions[s];
            n2[i] = nanos[s];
            c2[i] = costs[s];
        }
        seqs = s2;
        ids = i2;
        befores = b2;
        versions = v2;
        nanos = n2;
        costs = c2;
        head = 0;
    }

    /** Forgets everything: the table was replaced wholesale, so no earlier state can be rebuilt. */
    void restart(long seq) {
        for (int i = 0; i < count; i++) {
            int s = slot(i);
            ids[s] = null;
            befores[s] = null;
        }
        head = 0;
        count = 0;
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
        Map<String, Integer> earliest = new HashMap<>();
        for (int i = count - 1; i >= 0; i--) {
            int s = slot(i);
            if (seqs[s] <= seq) {
                break;
            }
            earliest.put(ids[s], s); // walking backwards, the last put is the earliest change
        }
        Map<String, Row> past = new HashMap<>(earliest.size() * 2);
        earliest.forEach((id, s) -> past.put(id, image(id, versions[s], befores[s])));
        return past;
    }

    private static Row image(String id, long version, String json) {
        if (json == null) {
            return null;
        }
        try {
            return new Row(id, version, (ObjectNode) Json.MAPPER.readTree(json), json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a row this process encoded failed to parse", e);
        }
    }

    int size() {
        return count;
    }

    /** What the retained changes cost, as {@link #cost} counts it. */
    long bytes() {
        return bytes;
    }
}
