package dev.livequery.gateway.sse;

import static dev.livequery.core.LiveQueryException.Code.TOO_MANY_SUBS;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.UNKNOWN_TABLE;

import dev.livequery.core.Backend;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.gateway.Settings;
import dev.livequery.gateway.delivery.Connections;
import dev.livequery.gateway.delivery.Outbound;
import dev.livequery.gateway.delivery.Slot;
import dev.livequery.gateway.http.HttpErrors;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** The SSE handler. Everything that can fail is checked before the 200 goes out, so errors are JSON. */
public final class SseEndpoint {
    static final HeaderName LAST_EVENT_ID = HeaderNames.create("Last-Event-ID");

    private final Backend backend;
    private final Connections connections;
    private final Settings settings;

    public SseEndpoint(Backend backend, Connections connections, Settings settings) {
        this.backend = backend;
        this.connections = connections;
        this.settings = settings;
    }

    public Handler handler() {
        return HttpErrors.guard((req, res) -> {
            try {
                handle(req, res);
            } catch (LiveQueryException e) {
                // PROTOCOL §5: a bad query, an unknown table included, is 400 before the stream.
                if (e.code() != UNKNOWN_TABLE) {
                    throw e;
                }
                HttpErrors.send(res, 400, e.code().wire(), e.getMessage());
            }
        });
    }

    private void handle(ServerRequest req, ServerResponse res) throws Exception {
        Parameters p = req.query();
        Query q = Query.fromParams(req.path().pathParameters().get("table"), p.first("where").orElse(null),
                p.first("order").orElse(null), p.first("limit").orElse(null), p.first("after").orElse(null),
                p.first("before").orElse(null));
        String resume = req.headers().first(LAST_EVENT_ID).filter(s -> !s.isBlank())
                .orElse(p.first("resume").filter(s -> !s.isBlank()).orElse(null));
        if (!connections.admit()) {
            throw connections.draining()
                    ? new LiveQueryException(UNAVAILABLE, "the server is shutting down; reconnect to another")
                    : new LiveQueryException(TOO_MANY_SUBS, "too many connections on this server; retry later");
        }
        SseTransport transport = new SseTransport();
        String peer = req.remotePeer().address() + " #" + req.socketId();
        Outbound out = connections.outbound(transport, peer, settings.heartbeat(), null);
        Slot slot = out.slot(null);
        Subscription sub;
        try {
            sub = backend.subscribe(q, resume, slot.wakeup());
        } catch (LiveQueryException | RuntimeException e) {
            connections.release();
            throw e;
        }
        slot.attach(sub);
        try {
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header("X-Accel-Buffering", "no");
            transport.open(res.outputStream(), 1000);
        } catch (Exception e) {
            sub.close();
            connections.release();
            return; // the client left before the stream started
        }
        out.run();
    }
}
