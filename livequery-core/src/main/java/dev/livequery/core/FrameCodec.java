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

/**
 * The JSON of {@link Frame}s (PROTOCOL §3), both ways.
 *
 * <p>Encode once, splice per subscriber: {@link #encoded} is a frame's JSON without {@code sub},
 * made once and cached on the frame, so a frame shared by every subscription of a view is encoded
 * and signed once. A WebSocket subscription makes its {@code ,"sub":"…"} member once
 * ({@link #subMember}) and {@link #writeTo} copies it in right after {@code {"op":"…"} — the same
 * bytes as encoding the frame with its {@code sub}, without a per-subscriber encoding.
 */
public final class FrameCodec {
    private static final JsonStringEncoder ENC = JsonStringEncoder.getInstance();
    private static final byte[] OP_PREFIX = ascii("{\"op\":\"");
    private static final byte[] SUB_PREFIX = ascii(",\"sub\":\"");

    private FrameCodec() {}

    // ---- encoding ----------------------------------------------------------------------------

    /** Encodes the frame; {@code sub} is the WebSocket subscription id, or null (SSE). */
    public static String toJson(Frame f, String sub) {
        byte[] e = encoded(f);
        if (sub == null) {
            return new String(e, StandardCharsets.UTF_8);
        }
        byte[] member = subMember(sub);
        byte[] out = new byte[length(f, member)];
        writeTo(f, out, 0, member);
        return new String(out, StandardCharsets.UTF_8);
    }

    /**
     * The frame's JSON without {@code sub}, UTF-8; encoded once and cached on the frame (do not
     * modify). The {@code sub} member, when there is one, goes at {@link #subOffset}.
     */
    public static byte[] encoded(Frame f) {
        byte[] e = f.encoded;
        if (e == null) {
            e = encode(f);
            f.encoded = e;
        }
        return e;
    }

    /** Where in {@link #encoded} a {@link #subMember} is spliced: right after {@code {"op":"…"}. */
    public static int subOffset(Frame f) {
        return OP_PREFIX.length + f.op().wire().length() + 1;
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

    /** Bytes {@link #writeTo} writes for {@code f} with this {@code subMember} (null: none). */
    public static int length(Frame f, byte[] subMember) {
        return encoded(f).length + (subMember == null ? 0 : subMember.length);
    }

    /**
     * Writes the frame's JSON with {@code subMember} (from {@link #subMember}, or null) spliced in,
     * the same bytes {@code toJson(f, sub)} encodes; returns the offset after it.
     */
    public static int writeTo(Frame f, byte[] dst, int off, byte[] subMember) {
        byte[] e = encoded(f);
        if (subMember == null) {
            System.arraycopy(e, 0, dst, off, e.length);
            return off + e.length;
        }
        int at = subOffset(f);
        System.arraycopy(e, 0, dst, off, at);
        System.arraycopy(subMember, 0, dst, off + at, subMember.length);
        System.arraycopy(e, at, dst, off + at + subMember.length, e.length - at);
        return off + e.length + subMember.length;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The JSON, field for field what the protocol's frames have always carried, without {@code sub}.
     * Jackson writes {@code {"op":"…"} first and without whitespace, which {@link #subOffset} relies on.
     */
    private static byte[] encode(Frame f) {
        byte[] plain = FrameBytes.encode(f);
        return plain != null ? plain : jackson(f);
    }

    /** {@link #encode} by Jackson's generator: every frame {@link FrameBytes} leaves (strings to escape). */
    static byte[] jackson(Frame f) {
        int size = f instanceof Frame.Placed p ? 192 + p.row().json().length() : 128;
        try (ByteArrayBuilder out = new ByteArrayBuilder(size);
                JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("op", f.op().wire());
            String e = f.eid();
            if (e != null) {
                g.writeStringField("eid", e);
            }
            switch (f) {
                case Frame.Reset r -> {
                    g.writeStringField("cause", r.cause());
                    g.writeNumberField("epoch", r.epoch());
                }
                case Frame.Placed p -> {
                    g.writeStringField("id", p.id());
                    g.writeNumberField("version", p.version());
                    if (p instanceof Frame.Move m) {
                        g.writeNumberField("old_index", m.oldIndex());
                    }
                    g.writeNumberField("new_index", p.newIndex());
                    g.writeStringField("cursor", p.cursor());
                    g.writeFieldName("row");
                    g.writeRawValue(p.row().json());
                }
                case Frame.Leave l -> {
                    g.writeStringField("id", l.id());
                    g.writeNumberField("version", l.version());
                    g.writeNumberField("old_index", l.oldIndex());
                }
                case Frame.Ready r -> {
                    g.writeBooleanField("has_more_before", r.hasMoreBefore());
                    g.writeBooleanField("has_more_after", r.hasMoreAfter());
                    g.writeBooleanField("resumed", r.resumed());
                }
                case Frame.Error x -> {
                    g.writeStringField("code", x.code().wire());
                    g.writeStringField("message", x.message());
                }
                case Frame.Closed c -> g.writeStringField("cause", c.cause().wire());
                case Frame.Status s -> g.writeStringField("state", s.state().wire());
                case Frame.Pong p -> {}
            }
            g.writeEndObject();
            g.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- decoding ----------------------------------------------------------------------------

    /**
     * Rebuilds a frame from its JSON (the {@code sub} member, if any, is dropped): how a remote
     * backend hands frames made in another process to a transport. It encodes to the same bytes.
     */
    public static Frame decode(String json) throws LiveQueryException {
        try {
            return decode(Json.MAPPER.readTree(json));
        } catch (IOException e) {
            throw notAFrame(e.getMessage());
        }
    }

    /** {@link #decode(String)} of a frame already parsed (e.g. one element of a frames array). */
    public static Frame decode(JsonNode n) throws LiveQueryException {
        Frame.Op op;
        try {
            op = Frame.Op.valueOf(n.path("op").asText("").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw notAFrame("unknown op " + n.path("op"));
        }
        String eid = n.path("eid").asText(null);
        return switch (op) {
            case RESET ->
                new Frame.Reset(n.path("cause").asText(null), n.path("epoch").asLong(), null, null, eid);
            case ENTER ->
                new Frame.Enter(
                        row(n),
                        null,
                        n.path("cursor").asText(null),
                        n.path("new_index").asInt(-1),
                        null,
                        null,
                        eid);
            case UPDATE ->
                new Frame.Update(
                        row(n),
                        null,
                        n.path("cursor").asText(null),
                        n.path("new_index").asInt(-1),
                        null,
                        null,
                        eid);
            case MOVE ->
                new Frame.Move(
                        row(n),
                        null,
                        n.path("cursor").asText(null),
                        n.path("old_index").asInt(-1),
                        n.path("new_index").asInt(-1),
                        null,
                        null,
                        eid);
            case LEAVE ->
                new Frame.Leave(
                        n.path("id").asText(null),
                        n.path("version").asLong(),
                        n.path("old_index").asInt(-1),
                        null,
                        null,
                        eid);
            case READY ->
                new Frame.Ready(
                        n.path("has_more_before").asBoolean(),
                        n.path("has_more_after").asBoolean(),
                        n.path("resumed").asBoolean(),
                        null,
                        null,
                        eid);
            case ERROR -> {
                LiveQueryException.Code code =
                        LiveQueryException.Code.fromWire(n.path("code").asText());
                if (code == null) {
                    throw notAFrame("unknown error code " + n.path("code"));
                }
                yield new Frame.Error(code, n.path("message").asText(null));
            }
            case CLOSED -> new Frame.Closed(wire(Frame.Closed.Cause.class, n.path("cause")));
            case STATUS -> new Frame.Status(wire(Frame.Status.State.class, n.path("state")));
            case PONG -> new Frame.Pong();
        };
    }

    private static Row row(JsonNode n) throws LiveQueryException {
        JsonNode r = n.get("row");
        if (r == null || !r.isObject()) {
            throw notAFrame(n.path("op").asText() + " without a row");
        }
        return new Row(n.path("id").asText(), n.path("version").asLong(), (ObjectNode) r);
    }

    /** The enum constant whose lower-case name is {@code v}. */
    private static <E extends Enum<E>> E wire(Class<E> type, JsonNode v) throws LiveQueryException {
        try {
            return Enum.valueOf(type, v.asText("").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw notAFrame("unknown " + type.getSimpleName().toLowerCase(Locale.ROOT) + " " + v);
        }
    }

    private static LiveQueryException notAFrame(String why) {
        return new LiveQueryException(LiveQueryException.Code.BAD_REQUEST, "not a frame: " + why);
    }
}
