package dev.livequery.core;

import java.util.Locale;
import java.util.Objects;

/**
 * One server→client frame of PROTOCOL §3: one final class per {@code op}, each with the fields
 * the protocol names. Bytes are {@link FrameCodec}'s job.
 *
 * <p>Encode once: the row's JSON is cached on the {@link Row} and the cursor on the view's
 * {@link Key}, both shared by every subscriber that gets the row; what a frame adds per
 * subscriber is a handful of small fields. The eid (an HMAC) is computed only when it is first
 * asked for (normally when the frame is encoded), so frames dropped by an overflow cost nothing.
 *
 * <p>Subscriptions of one shape whose windows are in the same state get the very same frame
 * object (see {@link SharedFrames}), so the frame's encoding is cached on it:
 * {@link FrameCodec#encoded} is made and signed once however many subscribers get it, and a
 * WebSocket writer splices each subscription's {@code sub} member into it.
 *
 * <p>Why classes and not records: a frame carries that once-made encoding and its lazily signed
 * eid, which a record cannot (its fields are final); a side object holding them would cost one
 * more allocation per frame per window on the engine's hot path.
 */
public abstract sealed class Frame
        permits Frame.Reset,
                Frame.Placed,
                Frame.Leave,
                Frame.Ready,
                Frame.Error,
                Frame.Closed,
                Frame.Status,
                Frame.Pong {
    /** The frame's {@code op}. */
    public enum Op {
        RESET,
        ENTER,
        LEAVE,
        UPDATE,
        MOVE,
        READY,
        ERROR,
        CLOSED,
        STATUS,
        PONG;

        private final String wire = name().toLowerCase(Locale.ROOT);

        public String wire() {
            return wire;
        }
    }

    /** What names the eid of an engine frame (null for transport and decoded frames). */
    private final Tokens tokens;

    private final Tokens.State state;
    private volatile String eid;
    /** {@link FrameCodec#encoded}'s cache: the JSON without {@code sub}. */
    volatile byte[] encoded;

    private final long createdNanos = System.nanoTime();

    private Frame(Tokens tokens, Tokens.State state, String eid) {
        this.tokens = tokens;
        this.state = state;
        this.eid = eid;
    }

    /** The frame's {@code op}. */
    public abstract Op op();

    /**
     * The resume token naming the client's state after applying this frame; null for frames that
     * do not change the window (error, closed, status, pong).
     */
    public final String eid() {
        String e = eid;
        if (e != null || tokens == null) {
            return e;
        }
        e = tokens.encode(state);
        eid = e;
        return e;
    }

    /** {@link System#nanoTime()} when the frame was made: for write-to-socket lag metrics. */
    public final long createdNanos() {
        return createdNanos;
    }

    final Tokens tokens() {
        return tokens;
    }

    /** The window state the eid names (engine frames), for {@link SharedFrames}. */
    final Tokens.State windowState() {
        return state;
    }

    @Override
    public String toString() {
        return FrameCodec.toJson(this, null);
    }

    // ---- frames transports make --------------------------------------------------------------

    public static Error error(LiveQueryException.Code code, String message) {
        return new Error(code, message);
    }

    public static Closed closed(Closed.Cause cause) {
        return new Closed(cause);
    }

    public static Status status(Status.State state) {
        return new Status(state);
    }

    public static Pong pong() {
        return new Pong();
    }

    // ---- the kinds ---------------------------------------------------------------------------

    /** A frame that names one row: enter, update, move, leave. */
    public sealed interface RowFrame permits Placed, Leave {
        /** The row's id. */
        String id();

        /** The row's version (for a leave of a deleted row: the change that deleted it). */
        long version();
    }

    /** {@code reset}: clear the window; the snapshot's enters and a ready follow. */
    public static final class Reset extends Frame {
        private final String cause;
        private final long epoch;

        Reset(String cause, long epoch, Tokens tokens, Tokens.State state, String eid) {
            super(tokens, state, eid);
            this.cause = cause;
            this.epoch = epoch;
        }

        @Override
        public Op op() {
            return Op.RESET;
        }

        /** {@code subscribe}, {@code resume_miss}, {@code overflow}, {@code failover} or {@code epoch}. */
        public String cause() {
            return cause;
        }

        /** The history epoch the window is served from. */
        public long epoch() {
            return epoch;
        }
    }

    /** A frame that puts a row at {@code new_index}: enter, update, move. */
    public abstract static sealed class Placed extends Frame implements RowFrame permits Enter, Update, Move {
        private final Row row;
        /** The row's key in the view (engine frames), from which the cursor is encoded once. */
        private final Key key;
        /** The cursor of a decoded frame (then {@link #key} is null). */
        private final String cursor;

        private final int newIndex;

        private Placed(Row row, Key key, String cursor, int newIndex, Tokens tokens, Tokens.State state, String eid) {
            super(tokens, state, eid);
            this.row = row;
            this.key = key;
            this.cursor = cursor;
            this.newIndex = newIndex;
        }

        @Override
        public final String id() {
            return row.id();
        }

        @Override
        public final long version() {
            return row.version();
        }

        /** The row as the frame carries it. */
        public final Row row() {
            return row;
        }

        /** The row's cursor in this frame's shape. */
        public final String cursor() {
            return key == null ? cursor : key.cursor(tokens());
        }

        /** Where the row is after this frame. */
        public final int newIndex() {
            return newIndex;
        }

        /** The view's key of the row (engine frames), for {@link SharedFrames}; null for decoded ones. */
        final Key key() {
            return key;
        }
    }

    /** {@code enter}: insert the row at {@code new_index}. */
    public static final class Enter extends Placed {
        Enter(Row row, Key key, String cursor, int newIndex, Tokens tokens, Tokens.State state, String eid) {
            super(row, key, cursor, newIndex, tokens, state, eid);
        }

        @Override
        public Op op() {
            return Op.ENTER;
        }
    }

    /** {@code update}: the row changed in place, at {@code new_index}. */
    public static final class Update extends Placed {
        Update(Row row, Key key, String cursor, int newIndex, Tokens tokens, Tokens.State state, String eid) {
            super(row, key, cursor, newIndex, tokens, state, eid);
        }

        @Override
        public Op op() {
            return Op.UPDATE;
        }
    }

    /** {@code move}: remove at {@code old_index}, then insert the (changed) row at {@code new_index}. */
    public static final class Move extends Placed {
        private final int oldIndex;

        Move(
                Row row,
                Key key,
                String cursor,
                int oldIndex,
                int newIndex,
                Tokens tokens,
                Tokens.State state,
                String eid) {
            super(row, key, cursor, newIndex, tokens, state, eid);
            this.oldIndex = oldIndex;
        }

        @Override
        public Op op() {
            return Op.MOVE;
        }

        /** Where the row was before this frame. */
        public int oldIndex() {
            return oldIndex;
        }
    }

    /** {@code leave}: remove the row at {@code old_index}. */
    public static final class Leave extends Frame implements RowFrame {
        private final String id;
        private final long version;
        private final int oldIndex;

        Leave(String id, long version, int oldIndex, Tokens tokens, Tokens.State state, String eid) {
            super(tokens, state, eid);
            this.id = id;
            this.version = version;
            this.oldIndex = oldIndex;
        }

        @Override
        public Op op() {
            return Op.LEAVE;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public long version() {
            return version;
        }

        /** Where the row was. */
        public int oldIndex() {
            return oldIndex;
        }
    }

    /** {@code ready}: the client now holds exactly the server's window. */
    public static final class Ready extends Frame {
        private final boolean hasMoreBefore;
        private final boolean hasMoreAfter;
        private final boolean resumed;

        Ready(
                boolean hasMoreBefore,
                boolean hasMoreAfter,
                boolean resumed,
                Tokens tokens,
                Tokens.State state,
                String eid) {
            super(tokens, state, eid);
            this.hasMoreBefore = hasMoreBefore;
            this.hasMoreAfter = hasMoreAfter;
            this.resumed = resumed;
        }

        @Override
        public Op op() {
            return Op.READY;
        }

        public boolean hasMoreBefore() {
            return hasMoreBefore;
        }

        public boolean hasMoreAfter() {
            return hasMoreAfter;
        }

        /** True when this ready ends a resume (no reset was sent). */
        public boolean resumed() {
            return resumed;
        }
    }

    /** {@code error}: a command or subscription failed. */
    public static final class Error extends Frame {
        private final LiveQueryException.Code code;
        private final String message;

        Error(LiveQueryException.Code code, String message) {
            super(null, null, null);
            this.code = Objects.requireNonNull(code);
            this.message = message;
        }

        @Override
        public Op op() {
            return Op.ERROR;
        }

        public LiveQueryException.Code code() {
            return code;
        }

        public String message() {
            return message;
        }
    }

    /** {@code closed}: the subscription ended. */
    public static final class Closed extends Frame {
        /** Why a subscription ended (PROTOCOL §3). */
        public enum Cause {
            UNSUBSCRIBED,
            REVOKED,
            SHUTDOWN;

            private final String wire = name().toLowerCase(Locale.ROOT);

            public String wire() {
                return wire;
            }
        }

        private final Cause cause;

        Closed(Cause cause) {
            super(null, null, null);
            this.cause = Objects.requireNonNull(cause);
        }

        @Override
        public Op op() {
            return Op.CLOSED;
        }

        public Cause cause() {
            return cause;
        }
    }

    /** {@code status}: whether the backend serving the subscription is reachable. */
    public static final class Status extends Frame {
        /** PROTOCOL §3: {@code stale} once the backend has been unreachable 3 s (the cluster says it after 2 s), {@code live} when it is back. */
        public enum State {
            STALE,
            LIVE;

            private final String wire = name().toLowerCase(Locale.ROOT);

            public String wire() {
                return wire;
            }
        }

        private final State state;

        Status(State state) {
            super(null, null, null);
            this.state = Objects.requireNonNull(state);
        }

        @Override
        public Op op() {
            return Op.STATUS;
        }

        public State state() {
            return state;
        }
    }

    /** {@code pong}: the reply to {@code ping}. */
    public static final class Pong extends Frame {
        Pong() {
            super(null, null, null);
        }

        @Override
        public Op op() {
            return Op.PONG;
        }
    }
}
