package dev.livequery.gateway.auth;

import dev.livequery.gateway.http.HttpErrors;
import dev.livequery.gateway.ws.OriginPolicy;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.List;

/**
 * CORS for the HTTP API ({@code /v1/tables/…}, {@code /v1/live/…}): a page from an origin in
 * {@code livequery.allowed-origins} may call it with credentials; with no origins configured the API
 * is same-origin only (no CORS headers, preflights refused). The allowed origin is echoed, never
 * {@code *}, because credentials (the {@code lq_token} cookie) may travel.
 *
 * <p>A small filter rather than Helidon's CORS module: the rules are four headers, and the origin
 * list must be the very one the WebSocket and SSE origin checks use.
 */
public final class Cors implements Filter {
    static final String METHODS = "GET, PUT, PATCH, DELETE, POST";
    static final String HEADERS = "Authorization, Content-Type, If-Match, Idempotency-Key, Last-Event-ID";
    private final OriginPolicy origins;

    public Cors(List<String> allowedOrigins) {
        this.origins = new OriginPolicy(allowedOrigins);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        String origin = req.headers().first(HeaderNames.ORIGIN).orElse(null);
        if (origin == null || !(path.startsWith("/v1/tables/") || path.startsWith("/v1/live/"))) {
            chain.proceed();
            return;
        }
        boolean ok = origins.listed(origin);
        boolean preflight = req.prologue().method() == Method.OPTIONS
                && req.headers().contains(HeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
        if (preflight) {
            if (!ok) {
                HttpErrors.send(res, 403, "forbidden", "origin not allowed; set livequery.allowed-origins");
                return;
            }
            allow(res, origin);
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, METHODS);
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, HEADERS);
            res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
            res.status(204).send();
            return;
        }
        if (ok) {
            allow(res, origin);
            res.header(HeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, "ETag");
        }
        chain.proceed();
    }

    private static void allow(RoutingResponse res, String origin) {
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        res.header(HeaderNames.VARY, "Origin");
    }
}
