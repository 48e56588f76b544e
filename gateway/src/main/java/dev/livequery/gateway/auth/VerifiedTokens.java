package dev.livequery.gateway.auth;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens that verified, by their exact text (signature included), so a client sending the same
 * token with every write is verified once, not once per request: the signature check and the JSON
 * parsing of header and claims were most of what auth cost the write path.
 *
 * <p>What a hit skips is deterministic: the same bytes against the same key give the same answer,
 * and issuer, audience and the algorithm pin are fixed at start. What depends on time is checked on
 * every hit: {@code exp} with the same 30 s leeway ({@code nbf} was already past when the token
 * verified, and time only moves forward). Only used when every key is fixed for the life of the
 * process (a secret or a PEM key); with a JWKS a key may be withdrawn, and a remembered token
 * would outlive it, so then every request is verified in full. A token that fails is never
 * remembered. Bounded: at most {@link #MAX} tokens of at most {@link #MAX_CHARS} characters; a
 * full cache drops the expired ones, or all of them.
 */
final class VerifiedTokens {
    static final int MAX = 4096;
    static final int MAX_CHARS = 2048;

    private final ConcurrentHashMap<String, Principal> byToken = new ConcurrentHashMap<>();
    private final Clock clock;

    VerifiedTokens(Clock clock) {
        this.clock = clock;
    }

    /** The principal of {@code token} if it verified before and has not expired since; else null. */
    Principal get(String token) {
        Principal p = byToken.get(token);
        if (p == null) {
            return null;
        }
        if (!live(p, clock.instant())) {
            byToken.remove(token, p);
            return null;
        }
        return p;
    }

    /** Remembers a token that has just verified. */
    void put(String token, Principal p) {
        if (token.length() > MAX_CHARS) {
            return;
        }
        if (byToken.size() >= MAX) {
            Instant now = clock.instant();
            byToken.values().removeIf(q -> !live(q, now));
            if (byToken.size() >= MAX) {
                byToken.clear();
            }
        }
        byToken.put(token, p);
    }

    int size() {
        return byToken.size();
    }

    /** Nimbus's check: valid while {@code now - leeway} is before {@code exp}. */
    private static boolean live(Principal p, Instant now) {
        return now.minusSeconds(TokenVerifier.LEEWAY_SECONDS).isBefore(p.expires());
    }
}
