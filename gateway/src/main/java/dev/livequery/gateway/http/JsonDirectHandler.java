package dev.livequery.gateway.http;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

/**
 * What Helidon answers before any route runs (a request line or header block too long, a request
 * that does not parse, a refused WebSocket upgrade) in the protocol's JSON error body, instead of
 * Helidon's plain text. The message is the status's reason phrase: Helidon's own message may quote
 * the request, which is not echoed back.
 */
public final class JsonDirectHandler implements DirectHandler {

    /** This handler for every event type. */
    public static DirectHandlers all() {
        DirectHandlers.Builder b = DirectHandlers.builder();
        JsonDirectHandler h = new JsonDirectHandler();
        for (EventType t : EventType.values()) {
            b.addHandler(t, h);
        }
        return b.build();
    }

    @Override
    public TransportResponse handle(
            TransportRequest request,
            EventType eventType,
            Status status,
            ServerResponseHeaders headers,
            String message) {
        String text = eventType == EventType.FORBIDDEN && message != null && !message.isBlank()
                ? message // ours (e.g. "origin not allowed"), not the client's
                : status.reasonPhrase();
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .entity(HttpErrors.body(HttpErrors.code(status.code()), text))
                .build();
    }
}
