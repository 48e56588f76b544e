package dev.livequery.gateway.auth;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.RequestException;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;

/**
 * Helidon answers a refused WebSocket upgrade through its direct handlers, which send the
 * exception's message only when {@code error-handling.include-entity} is on, and then HTML-escaped.
 * A refusal made by {@link #refusal} carries its §9 JSON body in a private header instead; this
 * handler moves it into the entity, so the 401 of an upgrade looks like any other 401 and says why.
 * Every other direct response goes to the fallback.
 */
public final class JsonRefusal implements DirectHandler {
    private final DirectHandler fallback;
    private static final HeaderName BODY = HeaderNames.create("X-Livequery-Error-Body");

    /** {@code fallback} answers every direct response that is not such a refusal. */
    public JsonRefusal(DirectHandler fallback) {
        this.fallback = fallback;
    }

    /** A refusal of the upgrade with {@code status} and the JSON body {@code json}. */
    static RequestException refusal(Status status, String json) {
        return RequestException.builder()
                .type(EventType.OTHER)
                .status(status)
                .header(HeaderValues.create(BODY, json))
                .message("upgrade refused")
                .build();
    }

    @Override
    public TransportResponse handle(
            TransportRequest request,
            EventType eventType,
            Status status,
            ServerResponseHeaders headers,
            String message) {
        var body = headers.first(BODY);
        if (body.isEmpty()) {
            return fallback.handle(request, eventType, status, headers, message);
        }
        headers.remove(BODY);
        headers.set(HeaderValues.CONTENT_TYPE_JSON);
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .entity(body.get())
                .build();
    }
}
