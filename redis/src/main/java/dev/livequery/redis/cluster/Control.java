package dev.livequery.redis.cluster;

import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Window;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a gateway asks of a shard, through the shard's control stream ({@code lq:ctl:<shard>}):
 * one record per request, one encoding ({@link #map()}) and one parser ({@link #parse}).
 * {@code gw} is the gateway id, {@code sid} its subscription id, {@code att} the attachment (a new
 * one for every (re)attach, so frames of an older one are recognised), {@code req} names the ack.
 */
public sealed interface Control {
    String gw();

    String sid();

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

    /** Parses a control entry; a malformed one is a {@code bad_request}. */
    static Control parse(Map<String, String> m) throws LiveQueryException {
        String op = m.getOrDefault("op", "");
        String gw = m.get("gw");
        String sid = m.get("sid");
        if (gw == null || sid == null) {
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

    private static String need(Map<String, String> m, String f) throws LiveQueryException {
        String v = m.get(f);
        if (v == null) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_REQUEST, "control entry without '" + f + "'");
        }
        return v;
    }
}
