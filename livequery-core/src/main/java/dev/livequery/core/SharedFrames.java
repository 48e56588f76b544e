package dev.livequery.core;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Objects;

/**
 * The frames one view made at one change, so its windows that are in the same state share one
 * frame object (one encoding, one eid HMAC, see {@link FrameCodec}) instead of each making its
 * own. Identical frames carry identical bytes, so sharing changes nothing a client sees.
 *
 * <p>Guarded by the table's lock.
 */
final class SharedFrames {
    /** Frames kept for sharing at most: two snapshots of a default-sized window. */
    private static final int MAX = 128;

    /** Frames compared one by one before any hashing: a change makes a few frames per view. */
    private static final int FEW = 8;

    /** The first {@link #FEW} distinct frames made at {@link #seq}, then {@link #made} too. */
    private final Frame[] few = new Frame[FEW];

    private int count;
    /** Null until a change makes more than {@link #FEW} distinct frames (a burst of snapshots). */
    private HashMap<Same, Frame> made;

    private long seq = Long.MIN_VALUE;

    /** {@code f}, or an identical frame another window of the view already made at change {@code seq}. */
    Frame share(Frame f, long seq) {
        // Bounded: in a quiet view every subscribe happens at the same change, and without a cap
        // the snapshots of all windows that differ would stay here until the next change.
        if (seq != this.seq || count >= MAX) {
            Arrays.fill(few, 0, Math.min(count, FEW), null);
            made = null; // not cleared: a table grown by a burst would be walked at every clear
            this.seq = seq;
            few[0] = f;
            count = 1;
            return f;
        }
        // A scan of a few frames in one array: cheaper than hashing, and no cold map to touch.
        for (int i = 0, n = Math.min(count, FEW); i < n; i++) {
            if (same(few[i], f)) {
                return few[i];
            }
        }
        if (count < FEW) {
            few[count++] = f;
            return f;
        }
        if (made == null) {
            made = new HashMap<>();
        }
        Frame had = made.putIfAbsent(new Same(f), f);
        if (had != null) {
            return had;
        }
        count++;
        return f;
    }

    /** A frame as a key of {@link #made}: equal when the frames encode identically. */
    private record Same(Frame f) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Same s && same(f, s.f);
        }

        @Override
        public int hashCode() {
            int h = 31 * f.op().ordinal() + Objects.hashCode(f.windowState());
            return switch (f) {
                case Frame.Placed p -> 31 * (31 * h + p.id().hashCode()) + p.newIndex();
                case Frame.Leave l -> 31 * (31 * h + Objects.hashCode(l.id())) + l.oldIndex();
                default -> h;
            };
        }
    }

    /**
     * True when {@code a} and {@code b} encode to the same JSON and eid: same kind, same row and
     * key objects, same indexes, same window state. Engine frames derive eid and cursor from tokens,
     * state and key, so those are compared, never the (lazily signed) strings.
     */
    static boolean same(Frame a, Frame b) {
        if (a.getClass() != b.getClass()
                || a.tokens() != b.tokens()
                || !Objects.equals(a.windowState(), b.windowState())
                || a.tokens() == null && !Objects.equals(a.eid(), b.eid())) {
            return false;
        }
        return switch (a) {
            case Frame.Reset r ->
                r.epoch() == ((Frame.Reset) b).epoch() && Objects.equals(r.cause(), ((Frame.Reset) b).cause());
            case Frame.Placed p -> {
                Frame.Placed q = (Frame.Placed) b;
                yield p.row() == q.row()
                        && p.key() == q.key()
                        && p.newIndex() == q.newIndex()
                        && (!(p instanceof Frame.Move m) || m.oldIndex() == ((Frame.Move) q).oldIndex())
                        && (p.key() != null || Objects.equals(p.cursor(), q.cursor()));
            }
            case Frame.Leave l -> {
                Frame.Leave k = (Frame.Leave) b;
                yield l.version() == k.version() && l.oldIndex() == k.oldIndex() && Objects.equals(l.id(), k.id());
            }
            case Frame.Ready r -> {
                Frame.Ready q = (Frame.Ready) b;
                yield r.hasMoreBefore() == q.hasMoreBefore()
                        && r.hasMoreAfter() == q.hasMoreAfter()
                        && r.resumed() == q.resumed();
            }
            // transport frames (error, closed, status, pong) are made one per use, never shared
            default -> a == b;
        };
    }
}
