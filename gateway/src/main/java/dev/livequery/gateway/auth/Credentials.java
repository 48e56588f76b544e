package dev.livequery.gateway.auth;

import io.helidon.common.uri.UriQuery;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a token travels (PROTOCOL §9), first found wins: {@code Authorization: Bearer}, the cookie
 * {@code lq_token}, the query parameter {@code access_token} (browsers' EventSource and WebSocket
 * cannot set headers). Nothing else is read, so a token in another place is simply absent.
 */
public final class Credentials {
    public static final String COOKIE = "lq_token";
    public static final String PARAM = "access_token";

    private Credentials() {}

    /** The token, or empty when the request carries none. */
    public static Optional<String> token(Headers headers, UriQuery query) {
        Optional<String> auth = headers.first(HeaderNames.AUTHORIZATION);
        if (auth.isPresent()) {
            String v = auth.get().trim();
            if (v.length() > 7 && v.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
                return Optional.of(v.substring(7).trim());
            }
        }
        for (String header : headers.values(HeaderNames.COOKIE)) {
            for (String cookie : header.split(";")) {
                int eq = cookie.indexOf('=');
                if (eq <= 0 || !cookie.substring(0, eq).trim().equals(COOKIE)) {
                    continue;
                }
                String v = cookie.substring(eq + 1).trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                if (!v.isEmpty()) {
                    return Optional.of(v);
                }
            }
        }
        return query == null
                ? Optional.empty()
                : query.first(PARAM).asOptional().filter(s -> !s.isEmpty());
    }
}
