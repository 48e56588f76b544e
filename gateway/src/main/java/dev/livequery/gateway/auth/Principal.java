package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.livequery.core.Json;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who a request or connection is. In jwt mode: the token's {@code sub}, its claims (for rules)
 * and its expiry. In none mode: the client address, which is also the key of its quotas.
 *
 * <p>Immutable but for a memo of its grants: rules are fixed at start and claims with the token, so
 * a token's grant on a table is computed once (a remembered token's principal serves every write
 * it makes, see {@link VerifiedTokens}).
 */
public final class Principal {
    /** Tables whose grants one principal memoizes; past that each is computed per request. */
    static final int MAX_MEMO = 64;
    /** Every anonymous principal's claims: one shared node, not one per connection (never modified). */
    private static final JsonNode NO_CLAIMS = JsonNodeFactory.instance.objectNode();

    private final String key;
    private final String sub;
    private final JsonNode claims;
    private final Instant expires;
    /** By table, then read and write; made on the first grant (none mode never asks for one). */
    private volatile ConcurrentHashMap<String, Grant[]> grants;

    /**
     * @param key     the quota key: {@code sub:<sub>} or {@code addr:<address>}
     * @param claims  the verified claims as a JSON object (empty in none mode)
     * @param expires null in none mode
     */
    Principal(String key, String sub, JsonNode claims, Instant expires) {
        this.key = key;
        this.sub = sub;
        this.claims = claims;
        this.expires = expires;
    }

    /** In none mode every request is an anonymous principal keyed by its client address. */
    public static Principal anonymous(String address) {
        return new Principal("addr:" + address, null, NO_CLAIMS, null);
    }

    /**
     * A verified token's principal. §9 requires only {@code exp}: a token without {@code sub} is
     * valid, and its quotas are keyed by its claims (tokens with the same claims share them).
     */
    static Principal of(String sub, JsonNode claims, Instant expires) {
        String key = sub != null
                ? "sub:" + sub
                : "claims:" + Integer.toHexString(Json.text(claims).hashCode());
        return new Principal(key, sub, claims, expires);
    }

    /** The quota key: {@code sub:<sub>}, {@code claims:<hash>} or {@code addr:<address>}. */
    public String key() {
        return key;
    }

    /** The token's {@code sub}; null in none mode or when the token has none. */
    public String sub() {
        return sub;
    }

    /** The verified claims as a JSON object (empty in none mode); never modified. */
    public JsonNode claims() {
        return claims;
    }

    /** When the token expires; null in none mode. */
    public Instant expires() {
        return expires;
    }

    /** A verified token's (every token has {@code exp}); false for an anonymous principal. */
    public boolean authenticated() {
        return expires != null;
    }

    /** What {@code rules} give this principal on {@code table}, computed once per table and operation. */
    Grant grant(Rules rules, String table, Rules.Op op) {
        ConcurrentHashMap<String, Grant[]> memo = grants;
        if (memo == null) {
            synchronized (this) {
                memo = grants;
                if (memo == null) {
                    memo = new ConcurrentHashMap<>();
                    grants = memo;
                }
            }
        }
        Grant[] byOp = memo.get(table);
        if (byOp == null) {
            if (memo.size() >= MAX_MEMO) {
                return rules.grant(table, op, claims);
            }
            byOp = memo.computeIfAbsent(table, t -> new Grant[Rules.Op.values().length]);
        }
        // a benign race: two threads may both compute the same grant, either is kept
        Grant g = byOp[op.ordinal()];
        if (g == null) {
            g = rules.grant(table, op, claims);
            byOp[op.ordinal()] = g;
        }
        return g;
    }

    @Override
    public String toString() {
        return "Principal[" + key + "]";
    }
}
