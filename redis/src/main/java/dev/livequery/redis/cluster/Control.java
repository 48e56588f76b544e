package dev.livequery.redis.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Window;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a gateway asks of a shard, through the shard's control stream ({@code lq:ctl:<shard>}):
 * one record per request, one encoding ({@link #map()}) and one parser ({@link #parse}).
 * {@code gw} is the gateway id, {@code sid} its subscription id, {@code att} the attachment (a new
 * one for every (re)attach, so frames of an older one are recognised), {@code req} names the ack.
 */
public sealed interface Control {
    String gw();

    Map<String, String> map();

    /** Attach a subscription here, resuming from {@code resume} (empty: a fresh snapshot). */
    record Subscribe(String gw, String sid, String att, String req, Query query, String resume) implements Control {
        @Override
        public Map<String, String> map() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("op", "sub");
            m.put("gw", gw);
            m.put("sid", sid);
            m.put("att", att);
            m.put("req", req);
            m.put("q", Wire.query(query));
            m.put("resume", resume == null ? "" : resume);
            return m;
        }
    }

    /** Change the window of the attachment {@code att}. */
    record Reanchor(String gw, String sid, String att, String req, Window window) implements Control {
        @Override
        public Map<String, String> map() {
            return new LinkedHashMap<>(
                    Map.of("op", "re", "gw", gw, "sid", sid, "att", att, "req", req, "w", Wire.window(window)));
        }
    }

    /** Drop the attachment {@code att} ({@code null}: whatever attachment the sid has here). */
    record Unsubscribe(String gw, String sid, String att) implements Control {
        @Override
        public Map<String, String> map() {
            Map<String, String> m = new LinkedHashMap<>(Map.of("op", "un", "gw", gw, "sid", sid));
            if (att != null) {
                m.put("att", att);
            }
            return m;
        }
    }

    /**
     * "Of my attachments here, keep only these": the shard closes every attachment of gateway
     * {@code gw} it hosts (and drops every subscribe of it waiting for a lease) whose id is not in
     * {@code atts}. Sent when the shard's ticks show it hosts other attachments of the gateway
     * than the gateway holds there ({@link Delivery.Tick#digest}): leftovers whose unsubscribe was
     * lost. Everything the gateway sent before it is in the list or given up, and what it sends
     * after it follows it in the stream, so it never closes an attachment the gateway still wants.
     * No answer. At most {@link #MAX_KEEP} ids (about 40 bytes each on the wire).
     */
    record Keep(String gw, List<String> atts) implements Control {
        /** Ids a Keep carries at most (about 800 KB); a gateway holding more on one shard sends none. */
        public static final int MAX_KEEP = 20_000;

        public Keep {
            atts = List.copyOf(atts);
            if (atts.size() > MAX_KEEP) {
                throw new IllegalArgumentException(
                        "a keep of " + atts.size() + " attachments (at most " + MAX_KEEP + ")");
            }
        }

        @Override
        public Map<String, String> map() {
            ArrayNode a = Json.MAPPER.createArrayNode();
            atts.forEach(a::add);
            return new LinkedHashMap<>(Map.of("op", "keep", "gw", gw, "atts", Json.text(a)));
        }
    }

    /** Parses a control entry; a malformed one is a {@code bad_request}. */
    static Control parse(Map<String, String> m) throws LiveQueryException {
        String op = m.getOrDefault("op", "");
        String gw = m.get("gw");
        if (gw == null) {
            throw new LiveQueryException(
                    LiveQueryException.Code.BAD_REQUEST, "control entry without gw: " + m.keySet());
        }
        if (op.equals("keep")) {
            return new Keep(gw, parseAtts(need(m, "atts")));
        }
        String sid = m.get("sid");
        if (sid == null) {
            throw new LiveQueryException(
                    LiveQueryException.Code.BAD_REQUEST, "control entry without gw/sid: " + m.keySet());
        }
        return switch (op) {
            case "sub" ->
                new Subscribe(
                        gw,
                        sid,
                        need(m, "att"),
                        m.get("req"),
                        Wire.parseQuery(need(m, "q")),
                        m.getOrDefault("resume", ""));
            case "re" -> new Reanchor(gw, sid, need(m, "att"), m.get("req"), Wire.parseWindow(need(m, "w")));
            case "un" -> new Unsubscribe(gw, sid, m.get("att"));
            default ->
                throw new LiveQueryException(LiveQueryException.Code.BAD_REQUEST, "unknown control op '" + op + "'");
        };
    }

    private static List<String> parseAtts(String json) throws LiveQueryException {
        try {
            JsonNode a = Json.MAPPER.readTree(json);
            if (!a.isArray() || a.size() > Keep.MAX_KEEP) {
                throw new LiveQueryException(
                        LiveQueryException.Code.BAD_REQUEST,
                        "keep entry whose atts is not an array of at most " + Keep.MAX_KEEP + " ids");
            }
            List<String> out = new ArrayList<>(a.size());
            for (JsonNode n : a) {
                if (!n.isTextual()) {
                    throw new LiveQueryException(
                            LiveQueryException.Code.BAD_REQUEST, "keep entry with a non-string id");
                }
                out.add(n.asText());
            }
            return out;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_REQUEST, "keep entry with bad atts json");
        }
    }

    private static String need(Map<String, String> m, String f) throws LiveQueryException {
        String v = m.get(f);
        if (v == null) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_REQUEST, "control entry without '" + f + "'");
        }
        return v;
    }
}
