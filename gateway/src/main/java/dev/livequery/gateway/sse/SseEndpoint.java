package dev.livequery.gateway.sse;

import static dev.livequery.core.LiveQueryException.Code.TOO_MANY_SUBS;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.UNKNOWN_TABLE;

import dev.livequery.core.Backend;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.gateway.Settings;
import dev.livequery.gateway.auth.Auth;
import dev.livequery.gateway.auth.AuthFilter;
import dev.livequery.gateway.auth.Principal;
import dev.livequery.gateway.auth.Quotas;
import dev.livequery.gateway.auth.Rules;
import dev.livequery.gateway.auth.Scoped;
import dev.livequery.gateway.delivery.Connections;
import dev.livequery.gateway.delivery.Outbound;
import dev.livequery.gateway.delivery.Slot;
import dev.livequery.gateway.http.HttpErrors;
import dev.livequery.gateway.http.Params;
import dev.livequery.gateway.ws.OriginPolicy;
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
    private final Auth auth;
    private final OriginPolicy origins;

    public SseEndpoint(Backend backend, Connections connections, Settings settings, Auth auth) {
        this.backend = backend;
        this.connections = connections;
        this.settings = settings;
        this.auth = auth;
        this.origins = new OriginPolicy(settings.allowedOrigins());
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
        String origin = req.headers().first(HeaderNames.ORIGIN).orElse(null);
        if (!origins.allows(origin, req.headers().first(HeaderNames.HOST).orElse(null))) {
            throw new LiveQueryException(
                    LiveQueryException.Code.FORBIDDEN, "origin not allowed; set livequery.allowed-origins");
        }
        Principal principal = AuthFilter.principal(req);
        Parameters p = req.query();
        Query q = Query.fromParams(
                req.path().pathParameters().get("table"),
                Params.one(p, "where"),
                Params.one(p, "order"),
                Params.one(p, "limit"),
                Params.one(p, "after"),
                Params.one(p, "before"));
        String resumeParam = Params.one(p, "resume");
        String resume = req.headers()
                .first(LAST_EVENT_ID)
                .filter(s -> !s.isBlank())
                .orElse(resumeParam == null || resumeParam.isBlank() ? null : resumeParam);
        q = Scoped.query(q, auth.grant(principal, q.shape().table(), Rules.Op.READ));
        Quotas.Lease conn = auth.quotas().connection(principal);
        Quotas.Lease held;
        try {
            held = auth.quotas().subscription(principal, q.shape(), LiveQueryException.Code.RATE_LIMITED);
        } catch (LiveQueryException e) {
            conn.close();
            throw e;
        }
        try {
            stream(req, res, q, resume, principal);
        } finally {
            held.close();
            conn.close();
        }
    }

    private void stream(ServerRequest req, ServerResponse res, Query q, String resume, Principal principal)
            throws Exception {
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
        var expiry = auth.atExpiry(principal, () -> out.close(Auth.TOKEN_EXPIRED));
        try {
            out.run();
        } finally {
            if (expiry != null) {
                expiry.cancel(false);
            }
        }
    }
}
