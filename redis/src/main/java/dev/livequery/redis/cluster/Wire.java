package dev.livequery.redis.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Window;
import java.util.List;

/**
 * The messages between gateways and shards, as Redis stream entries (flat string fields).
 *
 * <p>Control (gateway → {@code lq:ctl:<shard>}): {@code op} = {@code sub | re | un | keep}, {@code gw},
 * {@code sid} (the gateway's subscription id), {@code att} (attachment: a new one every time the
 * gateway (re)attaches the subscription, so frames of an old attachment are recognised and
 * dropped), {@code req} (for the ack), and {@code q}/{@code resume} or the window fields; a
 * {@code keep} has no {@code sid}, only {@code atts}, a JSON array of the attachment ids the
 * gateway holds on that shard (the shard closes its others).
 *
 * <p>Delivery (shard → {@code lq:gw:<gateway>}): {@code k} = {@code f} (frames: {@code sid},
 * {@code att}, {@code n} = batch number per attachment, starting at 1, so a lost batch shows as a
 * gap; {@code fr} = JSON array of frames), {@code a} (ack: {@code req}, {@code code} empty when
 * ok, {@code msg}; a successful attach's also {@code p} and {@code ap}, the partition's last
 * change-stream id applied before the subscription was made), {@code g} (gone: the shard
 * dropped the attachment, e.g. it lost the partition; the gateway re-attaches with resume), or
 * {@code t} (tick, twice a second: {@code c} = attachments of this gateway hosted, {@code ap} =
 * {@code p:ms-seq,…}, per partition hosting them the last change-stream id applied, {@code d} =
 * hex digest of their ids; {@code ap} and {@code d} are absent from an older shard's). The field
 * layout is in {@link DeliveryEntry} and {@link Delivery}.
 */
public final class Wire {
    public static final String NOT_OWNER = "not_owner";

    private Wire() {}

    /**
     * An attachment id: the gateway, the incarnation of its process (the value its heartbeat key
     * holds) and a number. Shards read the incarnation back ({@link #ofEarlierProcess}).
     */
    public static String attachment(String gw, String incarnation, long n) {
        return gw + "." + incarnation + "." + n;
    }

    /**
     * True if {@code att}, an attachment of gateway {@code gw}, was made by another process of
     * that gateway than the one whose heartbeat holds {@code incarnation} now (a gateway with a
     * stable id that restarted). An id not of the {@link #attachment} form is never judged so.
     */
    public static boolean ofEarlierProcess(String gw, String att, String incarnation) {
        if (incarnation == null || incarnation.isEmpty() || !att.startsWith(gw + ".")) {
            return false;
        }
        int from = gw.length() + 1;
        int dot = att.indexOf('.', from);
        return dot > from && !att.substring(from, dot).equals(incarnation);
    }

    /** A query as JSON the shard can {@link Query#fromWire} back, access filter included. */
    public static String query(Query q) {
        return q.toWire().toString();
    }

    static void window(ObjectNode n, Window w) {
        n.put("limit", w.limit());
        if (w.after() != null) {
            n.put("after", w.after());
        }
        if (w.before() != null) {
            n.put("before", w.before());
        }
    }

    public static Query parseQuery(String json) throws LiveQueryException {
        try {
            return Query.fromWire(Json.MAPPER.readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new LiveQueryException(
                    LiveQueryException.Code.BAD_QUERY, "bad query json: " + e.getOriginalMessage());
        }
    }

    public static String window(Window w) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        window(n, w);
        return Json.text(n);
    }

    public static Window parseWindow(String json) throws LiveQueryException {
        try {
            JsonNode n = Json.MAPPER.readTree(json);
            return Window.of(
                    n.path("after").asText(null),
                    n.path("before").asText(null),
                    n.path("limit").asInt());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_REQUEST, "bad window json");
        }
    }

    /** Frames as one JSON array, each encoded once with its eid. */
    public static String frames(List<Frame> frames) {
        StringBuilder b = new StringBuilder(frames.size() * 128).append('[');
        for (int i = 0; i < frames.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(FrameCodec.toJson(frames.get(i), null));
        }
        return b.append(']').toString();
    }
}
