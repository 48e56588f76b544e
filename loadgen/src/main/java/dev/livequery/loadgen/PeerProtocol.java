package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire of the bench/peers broadcast servers, which have no query logic: a client joins a room
 * per shape, and every write published to a room reaches each member as one message.
 *
 * <ul>
 *   <li>{@code vertx}: {@code /ws}; client sends {@code {"action":"subscribe","room":"k"}}, gets
 *       {@code {"subscribed":"k"}}, then each change is the row JSON as written.</li>
 *   <li>{@code socketio}: Engine.IO v4 over WebSocket ({@code /socket.io/?EIO=4&transport=websocket}):
 *       server {@code 0{…}} → client {@code 40} (namespace connect) → server {@code 40{…}} → client
 *       {@code 42["subscribe","k"]} → server {@code 42["subscribed","k"]}; changes are
 *       {@code 42["change",row]}; server ping {@code 2} is answered {@code 3}.</li>
 * </ul>
 */
enum PeerProtocol {
    VERTX("/ws"),
    SOCKETIO("/socket.io/?EIO=4&transport=websocket");

    /** What one inbound message meant: text to send back, a change (or null), an acknowledged subscribe. */
    record Reply(List<String> send, JsonNode change, boolean subscribed) {}

    private final String path;

    PeerProtocol(String path) {
        this.path = path;
    }

    String path() {
        return path;
    }

    /** Messages to send as soon as the socket is open. */
    List<String> onOpen(List<Integer> rooms) {
        return this == VERTX ? subscribes(rooms) : List.of();
    }

    Reply onMessage(String text, List<Integer> rooms) {
        if (this == VERTX) {
            JsonNode n = parse(text);
            if (n.has("subscribed")) {
                return new Reply(List.of(), null, true);
            }
            return new Reply(List.of(), n, false);
        }
        if (text.startsWith("42")) {
            JsonNode arr = parse(text.substring(2));
            String event = arr.path(0).asText();
            if (event.equals("change")) {
                return new Reply(List.of(), arr.path(1), false);
            }
            return new Reply(List.of(), null, event.equals("subscribed"));
        }
        if (text.equals("2")) {
            return new Reply(List.of("3"), null, false);
        }
        if (text.startsWith("0")) {
            return new Reply(List.of("40"), null, false);
        }
        if (text.startsWith("40")) {
            return new Reply(subscribes(rooms), null, false);
        }
        return new Reply(List.of(), null, false);
    }

    private List<String> subscribes(List<Integer> rooms) {
        List<String> out = new ArrayList<>();
        for (int room : rooms) {
            out.add(
                    this == VERTX
                            ? "{\"action\":\"subscribe\",\"room\":\"" + room + "\"}"
                            : "42[\"subscribe\",\"" + room + "\"]");
        }
        return out;
    }

    private static JsonNode parse(String text) {
        return FrameJson.parse(text);
    }
}
