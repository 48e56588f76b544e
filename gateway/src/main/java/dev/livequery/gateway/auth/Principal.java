package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Instant;

/**
 * Who a request or connection is. In jwt mode: the token's {@code sub}, its claims (for rules)
 * and its expiry. In none mode: the client address, which is also the key of its quotas.
 *
 * @param key     the quota key: {@code sub:<sub>} or {@code addr:<address>}
 * @param claims  the verified claims as a JSON object (empty in none mode)
 * @param expires null in none mode
 */
public record Principal(String key, String sub, JsonNode claims, Instant expires) {
    /** In none mode every request is an anonymous principal keyed by its client address. */
    public static Principal anonymous(String address) {
        return new Principal("addr:" + address, null, JsonNodeFactory.instance.objectNode(), null);
    }

    /**
     * A verified token's principal. §9 requires only {@code exp}: a token without {@code sub} is
     * valid, and its quotas are keyed by its claims (tokens with the same claims share them).
     */
    static Principal of(String sub, JsonNode claims, Instant expires) {
        String key = sub != null
                ? "sub:" + sub
                : "claims:" + Integer.toHexString(claims.toString().hashCode());
        return new Principal(key, sub, claims, expires);
    }

    /** A verified token's (every token has {@code exp}); false for an anonymous principal. */
    public boolean authenticated() {
        return expires != null;
    }
}
