package dev.livequery.gateway.ws;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;
import static dev.livequery.core.LiveQueryException.Code.BAD_REQUEST;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Echo;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Window;
import java.util.Set;

/**
 * The parse of one client message (PROTOCOL §3), apart from what a command does, so that a fuzz
 * target can drive exactly what a client controls. Each step either returns or throws a coded
 * {@link LiveQueryException}; {@link LiveSocket} calls them in the order the protocol answers.
 */
final class WsCommand {
    private WsCommand() {}

    /** The message as a JSON tree (possibly not an object: {@link #action} says so). */
    static JsonNode json(String message) throws LiveQueryException {
        try {
            return Json.MAPPER.readTree(message);
        } catch (JsonProcessingException e) {
            // Jackson's text may quote the message: LiveSocket cuts every error message it replies with
            throw new LiveQueryException(BAD_REQUEST, "message is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * The {@code sub} an error reply names: the message's own when it is a valid sub (1 to 64
     * characters). Any other is not repeated: the reply goes without one, so a client cannot make
     * the gateway hold copies of a long string (see {@link Echo}).
     */
    static String replySub(JsonNode msg) {
        if (msg == null || !msg.isObject() || !msg.path("sub").isTextual()) {
            return null;
        }
        String s = msg.get("sub").textValue();
        return validSub(s) ? s : null;
    }

    private static boolean validSub(String s) {
        return !s.isEmpty() && (s.length() <= 64 || s.codePointCount(0, s.length()) <= 64);
    }

    static String action(JsonNode msg) throws LiveQueryException {
        if (msg == null || !msg.isObject()) {
            throw new LiveQueryException(BAD_REQUEST, "a message is one JSON object with an \"action\"");
        }
        JsonNode action = msg.get("action");
        if (action == null || !action.isTextual()) {
            throw new LiveQueryException(BAD_REQUEST, "missing \"action\" (subscribe, reanchor, unsubscribe, ping)");
        }
        return action.textValue();
    }

    static String sub(JsonNode msg) throws LiveQueryException {
        JsonNode s = msg.get("sub");
        if (s == null || !s.isTextual() || !validSub(s.textValue())) {
            throw new LiveQueryException(BAD_REQUEST, "\"sub\" must be a string of 1 to 64 characters");
        }
        return s.textValue();
    }

    /** Members of a query: at a subscribe's top level they were meant for its {@code query}. */
    private static final Set<String> MISPLACED_IN_SUBSCRIBE =
            Set.of("table", "where", "order", "limit", "after", "before");
    /** Members that would change a subscription's shape, which a reanchor keeps (PROTOCOL §4). */
    private static final Set<String> SHAPE_IN_REANCHOR = Set.of("table", "where", "order", "query");

    /**
     * A member that asks for something the command does not do is {@code bad_request}, never
     * ignored (PROTOCOL §2: no silent default): a reanchor's {@code order}, or a subscribe's
     * top-level {@code limit}, would otherwise be answered as if the client had what it asked for.
     * Other members the command does not know (a client's own correlation id, say) are ignored, as
     * the protocol's other JSON is read.
     */
    private static void refuse(JsonNode msg, String action, Set<String> refused, String hint)
            throws LiveQueryException {
        for (String name : refused) {
            if (msg.has(name)) {
                throw new LiveQueryException(BAD_REQUEST, action + " does not take '" + name + "'" + hint);
            }
        }
    }

    /** A subscribe's arguments: its parsed query (not yet scoped by the grant) and resume token. */
    record Subscribe(Query query, String resume) {}

    static Subscribe subscribe(JsonNode msg) throws LiveQueryException {
        refuse(
                msg,
                "subscribe",
                MISPLACED_IN_SUBSCRIBE,
                ": the table, where, order, limit, after and before go in \"query\"");
        JsonNode q = msg.get("query");
        if (q == null) {
            throw new LiveQueryException(BAD_REQUEST, "subscribe needs a \"query\"");
        }
        JsonNode resume = msg.get("resume");
        if (resume != null && !resume.isNull() && !resume.isTextual()) {
            throw new LiveQueryException(BAD_REQUEST, "\"resume\" must be an eid string");
        }
        return new Subscribe(Query.parse(q), resume == null || resume.isNull() ? null : resume.textValue());
    }

    /** A reanchor's new window: the fields the message names, the current window's for the rest. */
    static Window reanchor(JsonNode msg, Window current) throws LiveQueryException {
        refuse(msg, "reanchor", SHAPE_IN_REANCHOR, ": a reanchor keeps the shape; subscribe anew to change it");
        String after = current.after();
        String before = current.before();
        if (msg.has("after") || msg.has("before")) {
            after = cursor(msg, "after");
            before = cursor(msg, "before");
        }
        int limit = current.limit();
        JsonNode l = msg.get("limit");
        if (l != null) {
            if (!l.isIntegralNumber() || !l.canConvertToInt()) {
                throw new LiveQueryException(BAD_QUERY, "limit must be an integer, got " + Echo.of(l.toString()));
            }
            limit = l.intValue();
        }
        return Window.of(after, before, limit);
    }

    private static String cursor(JsonNode msg, String name) throws LiveQueryException {
        JsonNode c = msg.get(name);
        if (c == null || c.isNull()) {
            return null;
        }
        if (!c.isTextual()) {
            throw new LiveQueryException(BAD_QUERY, "\"" + name + "\" must be a cursor string from a frame, or null");
        }
        return c.textValue();
    }
}
