package dev.livequery.core;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * One server→client frame of PROTOCOL §3.
 *
 * <p>Encode once: the row's JSON is cached on the {@link Row} and the cursor on the view's
 * {@link Key}, both shared by every subscriber that gets the row; what a frame adds per
 * subscriber is a handful of small fields. The eid (an HMAC) is computed only when a frame is
 * actually encoded, so frames dropped by an overflow cost nothing.
 *
 * <p>Subscriptions of one shape whose windows are in the same state get the very same frame
 * object (the view shares them, see {@link #sameAs}), so the frame's encoding is cached here too:
 * {@link #encoded()} is the JSON without {@code sub}, made and signed once however many
 * subscribers get it; a WebSocket writer splices each subscription's {@code sub} member into it
 * ({@link #writeTo}) instead of encoding the frame again.
 */
public final class Frame {
    /** The frame's {@code op}. */
    public enum Op {
        RESET, ENTER, LEAVE, UPDATE, MOVE, READY, ERROR, CLOSED, STATUS, PONG;

        private final String wire = name().toLowerCase(Locale.ROOT);

        public String wire() {
            return wire;
        }
    }

    private final Op op;
    private final Row row;
    private final String id;
    private final long version;
    private final Key key;
    private final int oldIndex;
    private final int newIndex;
    private final String text;
    private final String message;
    private final long number;
    private final boolean b1;
    private final boolean b2;
    private final boolean b3;
    private final Tokens tokens;
    private final Tokens.State state;
    private volatile String eid;
    private volatile byte[] encoded;
    private String cursorText;
    private final long createdNanos = System.nanoTime();

    private Frame(Op op, Row row, String id, long version, Key key, int oldIndex, int newIndex,
            String text, String message, long number, boolean b1, boolean b2, boolean b3, Tokens tokens,
            Tokens.State state) {
        this.op = op;
        this.row = row;
        this.id = id;
        this.version = version;
        this.key = key;
        this.oldIndex = oldIndex;
        this.newIndex = newIndex;
        this.text = text;
        this.message = message;
        this.number = number;
        this.b1 = b1;
        this.b2 = b2;
        this.b3 = b3;
        this.tokens = tokens;
        this.state = state;
    }

    // ---- frames the engine makes -------------------------------------------------------------

    static Frame reset(String cause, long epoch, Tokens tokens, Tokens.State state) {
        return new Frame(Op.RESET, null, null, 0, null, -1, -1, cause, null, epoch, false, false, false,
                tokens, state);
    }

    static Frame enter(Entry e, int newIndex, Tokens tokens, Tokens.State state) {
        return new Frame(Op.ENTER, e.row(), e.row().id(), e.row().version(), e.key(), -1, newIndex, null,
                null, 0, false, false, false, tokens, state);
    }

    static Frame update(Entry e, int index, Tokens tokens, Tokens.State state) {
        return new Frame(Op.UPDATE, e.row(), e.row().id(), e.row().version(), e.key(), -1, index, null,
                null, 0, false, false, false, tokens, state);
    }

    static Frame move(Entry e, int oldIndex, int newIndex, Tokens tokens, Tokens.State state) {
        return new Frame(Op.MOVE, e.row(), e.row().id(), e.row().version(), e.key(), oldIndex, newIndex,
                null, null, 0, false, false, false, tokens, state);
    }

    static Frame leave(String id, long version, int oldIndex, Tokens tokens, Tokens.State state) {
        return new Frame(Op.LEAVE, null, id, version, null, oldIndex, -1, null, null, 0, false, false, false,
                tokens, state);
    }

    static Frame ready(boolean hasMoreBefore, boolean hasMoreAfter, boolean resumed, Tokens tokens,
            Tokens.State state) {
        return new Frame(Op.READY, null, null, 0, null, -1, -1, null, null, 0, hasMoreBefore, hasMoreAfter,
                resumed, tokens, state);
    }

    // ---- frames transports make --------------------------------------------------------------

    public static Frame error(LiveQueryException.Code code, String message) {
        return new Frame(Op.ERROR, null, null, 0, null, -1, -1, code.wire(), message, 0, false, false, false,
                null, null);
    }

    /** {@code cause}: unsubscribed, revoked or shutdown. */
    public static Frame closed(String cause) {
        return new Frame(Op.CLOSED, null, null, 0, null, -1, -1, cause, null, 0, false, false, false, null, null);
    }

    /** {@code state}: stale or live. */
    public static Frame status(String state) {
        return new Frame(Op.STATUS, null, null, 0, null, -1, -1, state, null, 0, false, false, false, null, null);
    }

    public static Frame pong() {
        return new Frame(Op.PONG, null, null, 0, null, -1, -1, null, null, 0, false, false, false, null, null);
    }

    /**
     * Rebuilds a frame from its JSON (the {@code sub} member, if any, is dropped): how a remote
     * backend hands frames made in another process to a transport.
     */
    public static Frame decode(String json) throws LiveQueryException {
        try {
            return decode(Json.MAPPER.readTree(json));
        } catch (IOException e) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_REQUEST, "not a frame: " + e.getMessage());
        }
    }

    /** {@link #decode(String)} of a frame already parsed (e.g. one element of a frames array). */
    public static Frame decode(JsonNode n) throws LiveQueryException {
        try {
            Op op = Op.valueOf(n.path("op").asText("").toUpperCase(Locale.ROOT));
            JsonNode r = n.get("row");
            Row row = r != null && r.isObject() ? new Row(n.path("id").asText(), n.path("version").asLong(),
                    (ObjectNode) r) : null;
            String text = switch (op) {
                case ERROR -> n.path("code").asText();
                case STATUS -> n.path("state").asText();
                default -> n.path("cause").asText(null);
            };
            Frame f = new Frame(op, row, n.path("id").asText(null), n.path("version").asLong(), null,
                    n.path("old_index").asInt(-1), n.path("new_index").asInt(-1), text, n.path("message").asText(null),
                    n.path("epoch").asLong(), n.path("has_more_before").asBoolean(), n.path("has_more_after").asBoolean(),
                    n.path("resumed").asBoolean(), null, null);
            f.eid = n.path("eid").asText(null);
            f.cursorText = n.path("cursor").asText(null);
            return f;
        } catch (IllegalArgumentException e) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_REQUEST, "not a frame: " + e.getMessage());
        }
    }

    // ---- reading -----------------------------------------------------------------------------

    public Op op() {
        return op;
    }

    /** Row id for row frames, else null. */
    public String id() {
        return id;
    }

    public long version() {
        return version;
    }

    /** The row for enter, update and move; else null. */
    public Row row() {
        return row;
    }

    public int oldIndex() {
        return oldIndex;
    }

    public int newIndex() {
        return newIndex;
    }

    /** The reset's or closed frame's cause, the error's code, the status's state. */
    public String cause() {
        return text;
    }

    public boolean hasMoreBefore() {
        return b1;
    }

    public boolean hasMoreAfter() {
        return b2;
    }

    public boolean resumed() {
        return b3;
    }

    /** The error frame's message. */
    public String message() {
        return message;
    }

    /** {@link System#nanoTime()} when the frame was made: for write-to-socket lag metrics. */
    public long createdNanos() {
        return createdNanos;
    }

    /** The reset's history epoch. */
    public long epoch() {
        return number;
    }

    /**
     * The resume token naming the client's state after applying this frame; null for frames that
     * do not change the window (error, closed, status, pong).
     */
    public String eid() {
        String e = eid;
        if (e != null || tokens == null) {
            return e;
        }
        e = tokens.encode(state);
        eid = e;
        return e;
    }

    /** The row's cursor in this frame's shape, for row frames with a row. */
    public String cursor() {
        return key == null ? cursorText : key.cursor(tokens);
    }

    /** Encodes the frame; {@code sub} is the WebSocket subscription id, or null (SSE). */
    public String toJson(String sub) {
        byte[] e = encoded();
        if (sub == null) {
            return new String(e, StandardCharsets.UTF_8);
        }
        byte[] member = subMember(sub);
        byte[] out = new byte[length(member)];
        writeTo(out, 0, member);
        return new String(out, StandardCharsets.UTF_8);
    }

    /**
     * The frame's JSON without {@code sub}, UTF-8; encoded once and cached (do not modify). The
     * {@code sub} member, when there is one, goes at {@link #subOffset()}.
     */
    public byte[] encoded() {
        byte[] e = encoded;
        if (e == null) {
            e = encode();
            encoded = e;
        }
        return e;
    }

    /** Where in {@link #encoded()} a {@link #subMember} is spliced: right after {@code {"op":"…"}. */
    public int subOffset() {
        return OP_PREFIX.length + op.wire().length() + 1;
    }

    /** {@code ,"sub":"<sub, JSON-escaped>"}: what {@link #writeTo} splices in; make it once per subscription. */
    public static byte[] subMember(String sub) {
        byte[] q = ENC.quoteAsUTF8(sub);
        byte[] m = new byte[SUB_PREFIX.length + q.length + 1];
        System.arraycopy(SUB_PREFIX, 0, m, 0, SUB_PREFIX.length);
        System.arraycopy(q, 0, m, SUB_PREFIX.length, q.length);
        m[m.length - 1] = '"';
        return m;
    }

    /** Bytes {@link #writeTo} writes with this {@code subMember} (null: none). */
    public int length(byte[] subMember) {
        return encoded().length + (subMember == null ? 0 : subMember.length);
    }

    /**
     * Writes the frame's JSON with {@code subMember} (from {@link #subMember}, or null) spliced in,
     * the same bytes {@code toJson(sub)} encodes; returns the offset after it.
     */
    public int writeTo(byte[] dst, int off, byte[] subMember) {
        byte[] e = encoded();
        if (subMember == null) {
            System.arraycopy(e, 0, dst, off, e.length);
            return off + e.length;
        }
        int at = subOffset();
        System.arraycopy(e, 0, dst, off, at);
        System.arraycopy(subMember, 0, dst, off + at, subMember.length);
        System.arraycopy(e, at, dst, off + at + subMember.length, e.length - at);
        return off + e.length + subMember.length;
    }

    private static final JsonStringEncoder ENC = JsonStringEncoder.getInstance();
    private static final byte[] OP_PREFIX = ascii("{\"op\":\"");
    private static final byte[] SUB_PREFIX = ascii(",\"sub\":\"");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The JSON, field for field what the protocol's frames have always carried, without {@code sub}.
     * Jackson writes {@code {"op":"…"} first and without whitespace, which {@link #subOffset()} relies on.
     */
    private byte[] encode() {
        try (ByteArrayBuilder out = new ByteArrayBuilder(row == null ? 128 : 192 + row.json().length());
                JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("op", op.wire());
            String e = eid();
            if (e != null) {
                g.writeStringField("eid", e);
            }
            switch (op) {
                case RESET -> {
                    g.writeStringField("cause", text);
                    g.writeNumberField("epoch", number);
                }
                case ENTER, UPDATE, MOVE -> {
                    g.writeStringField("id", id);
                    g.writeNumberField("version", version);
                    if (op == Op.MOVE) {
                        g.writeNumberField("old_index", oldIndex);
                    }
                    g.writeNumberField("new_index", newIndex);
                    g.writeStringField("cursor", cursor());
                    g.writeFieldName("row");
                    g.writeRawValue(row.json());
                }
                case LEAVE -> {
                    g.writeStringField("id", id);
                    g.writeNumberField("version", version);
                    g.writeNumberField("old_index", oldIndex);
                }
                case READY -> {
                    g.writeBooleanField("has_more_before", b1);
                    g.writeBooleanField("has_more_after", b2);
                    g.writeBooleanField("resumed", b3);
                }
                case ERROR -> {
                    g.writeStringField("code", text);
                    g.writeStringField("message", message);
                }
                case CLOSED -> g.writeStringField("cause", text);
                case STATUS -> g.writeStringField("state", text);
                case PONG -> {
                }
            }
            g.writeEndObject();
            g.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * True when {@code o} encodes to the same JSON and eid as this frame: same op, same row and key
     * objects, same indexes, same window state. Views use it to hand one frame object to every
     * subscription whose window made an identical one, so it is encoded and signed once.
     */
    boolean sameAs(Frame o) {
        return op == o.op && row == o.row && key == o.key && tokens == o.tokens && oldIndex == o.oldIndex
                && newIndex == o.newIndex && version == o.version && number == o.number && b1 == o.b1
                && b2 == o.b2 && b3 == o.b3 && Objects.equals(id, o.id) && Objects.equals(text, o.text)
                && Objects.equals(message, o.message) && Objects.equals(state, o.state)
                // engine frames derive eid and cursor from tokens, state and key; decoded ones carry them
                && (tokens != null || Objects.equals(eid, o.eid) && Objects.equals(cursorText, o.cursorText));
    }

    /** A hash consistent with {@link #sameAs}. */
    int sameHash() {
        int h = op.ordinal();
        h = 31 * h + Objects.hashCode(id);
        h = 31 * h + Long.hashCode(version);
        h = 31 * h + oldIndex;
        h = 31 * h + newIndex;
        h = 31 * h + Objects.hashCode(state);
        return h;
    }

    @Override
    public String toString() {
        return toJson(null);
    }
}
