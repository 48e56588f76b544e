package dev.livequery.gateway.auth;

import dev.livequery.core.LiveQueryException;
import dev.livequery.gateway.http.HttpErrors;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;

/**
 * Puts the request's {@link Principal} in its context, or answers 401 (jwt mode, no valid token)
 * before any handler runs. {@code /health}, the static page, the client script ({@code /v1/client/},
 * public code a page loads before it has a token) and CORS preflights pass untouched;
 * {@code /v1/ws} authenticates in its upgrade (a browser WebSocket may authenticate by its first
 * message instead).
 */
public final class AuthFilter implements Filter {
    private final Auth auth;

    public AuthFilter(Auth auth) {
        this.auth = auth;
    }

    /**
     * The principal the filter found for {@code req}; without the filter (a routing built without
     * auth) an anonymous one, which {@link Auth#grant} refuses in jwt mode.
     */
    public static Principal principal(ServerRequest req) {
        return req.context()
                .get(Principal.class)
                .orElseGet(() -> Principal.anonymous(req.remotePeer().address().toString()));
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        boolean api = (path.startsWith("/v1/") && !path.startsWith("/v1/client/")) || path.equals("/metrics");
        if (!api || path.equals("/v1/ws") || req.prologue().method() == Method.OPTIONS) {
            chain.proceed();
            return;
        }
        Principal p;
        if (auth.jwt()) {
            var token = Credentials.token(req.headers(), req.query());
            if (token.isEmpty()) {
                HttpErrors.send(
                        res,
                        401,
                        "unauthorized",
                        "a token is required: Authorization: Bearer <jwt>, "
                                + "cookie lq_token or query parameter access_token");
                return;
            }
            try {
                p = auth.verify(token.get());
            } catch (LiveQueryException e) {
                HttpErrors.send(res, e);
                return;
            }
        } else {
            p = Principal.anonymous(auth.clientAddress(
                    req.remotePeer().address().toString(), req.headers().values(HeaderNames.X_FORWARDED_FOR)));
        }
        req.context().register(p);
        chain.proceed();
    }
}
