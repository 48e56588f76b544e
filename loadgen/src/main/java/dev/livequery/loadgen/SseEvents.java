package dev.livequery.loadgen;

import java.util.function.BiConsumer;

/**
 * Assembles Server-Sent Events from lines (the WHATWG rules the protocol uses: {@code data:},
 * {@code id:}, {@code event:}, blank line dispatches; one optional space after the colon). Hands
 * {@code message} events to the consumer as (data, id); named events such as heartbeats are skipped.
 */
final class SseEvents {
    private final BiConsumer<String, String> onMessage;
    private final StringBuilder data = new StringBuilder();
    private String id;
    private String event;

    SseEvents(BiConsumer<String, String> onMessage) {
        this.onMessage = onMessage;
    }

    void line(String line) {
        if (line.isEmpty()) {
            if (!data.isEmpty() && (event == null || event.equals("message"))) {
                onMessage.accept(data.toString(), id);
            }
            data.setLength(0);
            id = null;
            event = null;
            return;
        }
        int colon = line.indexOf(':');
        if (colon == 0) {
            return; // comment
        }
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "data" -> {
                if (!data.isEmpty()) {
                    data.append('\n');
                }
                data.append(value);
            }
            case "id" -> id = value;
            case "event" -> event = value;
            default -> {}
        }
    }
}
