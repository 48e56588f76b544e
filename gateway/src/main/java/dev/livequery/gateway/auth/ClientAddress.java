package dev.livequery.gateway.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * The address a none-mode quota is charged to. {@code X-Forwarded-For} is believed only from a
 * configured trusted proxy (anyone else could forge it to spread their load over many keys); then
 * the client is the right-most address that is not itself a trusted proxy.
 */
final class ClientAddress {
    private ClientAddress() {}

    static String of(String peer, List<String> forwardedFor, List<String> trusted) {
        String p = strip(peer);
        if (!trusted.contains(p) || forwardedFor.isEmpty()) {
            return p;
        }
        List<String> hops = new ArrayList<>();
        for (String h : forwardedFor) {
            for (String a : h.split(",")) {
                if (!a.isBlank()) {
                    hops.add(strip(a.trim()));
                }
            }
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            if (!trusted.contains(hops.get(i))) {
                return hops.get(i);
            }
        }
        return hops.isEmpty() ? p : hops.get(0);
    }

    /** {@code /127.0.0.1:5555} or {@code /127.0.0.1} as printed by InetSocketAddress, to {@code 127.0.0.1}. */
    private static String strip(String a) {
        String s = a.startsWith("/") ? a.substring(1) : a;
        int slash = s.indexOf('/');
        if (slash >= 0) {
            s = s.substring(slash + 1);
        }
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            return end > 0 ? s.substring(1, end) : s;
        }
        int colon = s.lastIndexOf(':');
        if (colon > 0 && s.indexOf(':') == colon) {
            s = s.substring(0, colon);
        }
        return s;
    }
}
