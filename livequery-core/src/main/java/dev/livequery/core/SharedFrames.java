package dev.livequery.core;

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

    private HashMap<Same, Frame> made = new HashMap<>();
    private long seq = Long.MIN_VALUE;
    /** The only frame made at {@link #seq} so far (then {@link #made} is empty), or null. */
    private Frame lone;

    /** {@code f}, or an identical frame another window of the view already made at change {@code seq}. */
    Frame share(Frame f, long seq) {
        // Bounded: in a quiet view every subscribe happens at the same change, and without a cap
        // the snapshots of all windows that differ would stay here until the next change.
        if (seq != this.seq || made.size() >= MAX) {
            if (made.size() > 16) {
                // clear() walks the whole table, which never shrinks: after a burst of snapshots
                // every later change would pay for a table sized for them
                made = new HashMap<>();
            } else if (!made.isEmpty()) {
                made.clear();
            }
            this.seq = seq;
            lone = f;
            return f;
        }
        // Most changes make one frame in one window: the map is filled only from the second.
        if (lone != null) {
            if (same(lone, f)) {
                return lone;
            }
            made.put(new Same(lone), lone);
            lone = null;
        }
        Frame had = made.putIfAbsent(new Same(f), f);
        return had == null ? f : had;
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
