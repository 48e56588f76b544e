package dev.livequery.gateway.ws;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which browser pages may open a WebSocket here. Browsers send {@code Origin} on upgrades but
 * WebSockets have no CORS, so without this any page could read live data with the user's cookies.
 * Non-browser clients send no Origin and are let through (they can forge it anyway).
 */
public final class OriginPolicy {
    private static final Set<String> LOCAL = Set.of("localhost", "127.0.0.1", "[::1]", "::1");
    private final List<String> allowed;

    /** {@code allowed}: exact origins ({@code https://app.example}) or {@code *}; empty = same host or localhost. */
    public OriginPolicy(List<String> allowed) {
        this.allowed = allowed.stream()
                .map(o -> o.toLowerCase(Locale.ROOT).replaceAll("/+$", ""))
                .toList();
    }

    /** True if {@code origin} is one of the configured origins (or they include {@code *}); false if none are configured. */
    public boolean listed(String origin) {
        return !allowed.isEmpty() && (allowed.contains("*") || allowed.contains(origin.toLowerCase(Locale.ROOT)));
    }

    public boolean allows(String origin, String host) {
        if (origin == null) {
            return true;
        }
        String o = origin.toLowerCase(Locale.ROOT);
        if (!allowed.isEmpty()) {
            return listed(o);
        }
        try {
            URI u = URI.create(o);
            if (u.getHost() == null) {
                return false;
            }
            if (LOCAL.contains(u.getHost())) {
                return true;
            }
            String authority = u.getPort() < 0 ? u.getHost() : u.getHost() + ":" + u.getPort();
            return host != null && (host.equalsIgnoreCase(authority) || host.equalsIgnoreCase(u.getHost()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
