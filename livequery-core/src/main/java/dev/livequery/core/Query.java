package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/** A live query: its {@link Shape} and its {@link Window}. Parsed from the wire, never defaulted. */
public record Query(Shape shape, Window window) {
    static final Pattern TABLE = Pattern.compile("[a-z][a-z0-9_]{0,62}");
    private static final Set<String> MEMBERS = Set.of("table", "where", "order", "limit", "after", "before");

    /** The WebSocket form: {@code {"table":…, "where":…, "order":[…], "limit":…, "after"|"before":…}}. */
    public static Query parse(JsonNode q) throws LiveQueryException {
        if (q == null || !q.isObject()) {
            throw new LiveQueryException(BAD_QUERY, "query must be a JSON object");
        }
        for (Iterator<String> it = q.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!MEMBERS.contains(name)) {
                throw new LiveQueryException(
                        BAD_QUERY, "unknown query member '" + Echo.of(name) + "' (expected " + MEMBERS + ")");
            }
        }
        JsonNode table = q.get("table");
        if (table == null || !table.isTextual()) {
            throw new LiveQueryException(BAD_QUERY, "query.table must be a string");
        }
        JsonNode limit = q.get("limit");
        if (limit == null || !limit.canConvertToInt() || !limit.isIntegralNumber()) {
            throw new LiveQueryException(
                    BAD_QUERY,
                    "query.limit must be an integer (1 .. max window), got "
                            + (limit == null ? "nothing" : Echo.of(limit.toString())));
        }
        Shape shape = new Shape(table(table.textValue()), Where.parse(q.get("where")), Order.parse(q.get("order")));
        return new Query(shape, Window.of(cursor(q, "after"), cursor(q, "before"), limit.intValue()));
    }

    /** The query-string form of SSE and the one-shot query: where is JSON, order is {@code -price,name}. */
    public static Query fromParams(String table, String where, String order, String limit, String after, String before)
            throws LiveQueryException {
        JsonNode w = null;
        if (where != null && !where.isEmpty()) {
            try {
                w = Json.MAPPER.readTree(where);
            } catch (JsonProcessingException e) {
                throw new LiveQueryException(BAD_QUERY, "where is not valid JSON: " + e.getOriginalMessage());
            }
        }
        int n;
        try {
            n = Integer.parseInt(limit == null ? "" : limit);
        } catch (NumberFormatException e) {
            throw new LiveQueryException(
                    BAD_QUERY,
                    "limit must be an integer (1 .. max window), got "
                            + (limit == null ? "nothing" : "'" + Echo.of(limit) + "'"));
        }
        Shape shape = new Shape(table(table), Where.parse(w), Order.parseCompact(order));
        return new Query(shape, Window.of(after, before, n));
    }

    /** Validates a table name against PROTOCOL §1. */
    public static String table(String name) throws LiveQueryException {
        if (name == null || !TABLE.matcher(name).matches()) {
            throw new LiveQueryException(
                    BAD_QUERY, "table names match [a-z][a-z0-9_]{0,62}, got '" + Echo.of(name) + "'");
        }
        return name;
    }

    private static String cursor(JsonNode q, String name) throws LiveQueryException {
        JsonNode c = q.get(name);
        if (c == null || c.isNull()) {
            return null;
        }
        if (!c.isTextual()) {
            throw new LiveQueryException(BAD_QUERY, "query." + name + " must be a cursor string from a frame");
        }
        return c.textValue();
    }

    /** The WebSocket form, canonical: {@link #parse} of it gives an equal query. */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("table", shape.table());
        n.set("where", shape.where.canonical());
        n.set("order", shape.order.canonical());
        n.put("limit", window.limit());
        if (window.after() != null) {
            n.put("after", window.after());
        }
        if (window.before() != null) {
            n.put("before", window.before());
        }
        return n;
    }

    public Query withWindow(Window w) {
        return new Query(shape, w);
    }

    /**
     * This query restricted to the rows {@code access} admits (PROTOCOL §9), as a separate member
     * of the shape; null or {@link Where#ALL} is unrestricted. Replaces any access it had.
     */
    public Query withAccess(Where access) {
        return new Query(new Shape(shape.table(), shape.where, shape.order, access), window);
    }

    /**
     * The form between trusted processes (gateway → shard): {@link #toJson} plus the
     * {@code access} member when restricted. Never parse client input with {@link #fromWire}.
     */
    public ObjectNode toWire() {
        ObjectNode n = toJson();
        if (!shape.access().isAll()) {
            n.set("access", shape.access().toJson());
        }
        return n;
    }

    /** Parses {@link #toWire}: the client form, and an {@code access} member. */
    public static Query fromWire(JsonNode q) throws LiveQueryException {
        if (q == null || !q.isObject() || !q.has("access")) {
            return parse(q);
        }
        ObjectNode rest = ((ObjectNode) q).deepCopy();
        Where access = Where.parse(rest.remove("access"));
        return parse(rest).withAccess(access);
    }
}
