package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.gateway.ConfigLookup;
import io.helidon.config.Config;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The §9 settings: {@code livequery.auth.*}, {@code livequery.limits.per-principal.*} and
 * {@code livequery.trusted-proxies}. Read once at start; a bad value fails the start with the key
 * in the message.
 *
 * @param hs256Secret   null unless set; the key is its UTF-8 bytes (at least 32 of them)
 * @param publicKeyPem  null unless set; an RSA or EC (P-256) public key
 * @param jwksUri       null unless set
 * @param rules         the table map of §9 (already read from the file when one is named), or null
 * @param rulesOrigin   where {@code rules} came from, for messages
 * @param jwksMinRefresh shortest time between two JWKS fetches (an unknown {@code kid} refetches)
 * @param trustedProxies addresses whose {@code X-Forwarded-For} is believed (quotas in none mode)
 * @param managementPort {@code livequery.management.port}: a second listener serving /metrics and
 *                       /health without tokens (0 = any free port), or null for none
 */
public record AuthSettings(
        String mode,
        String hs256Secret,
        String publicKeyPem,
        URI jwksUri,
        String issuer,
        String audience,
        JsonNode rules,
        String rulesOrigin,
        Duration jwksMinRefresh,
        Duration jwksTtl,
        Limits limits,
        List<String> trustedProxies,
        Integer managementPort) {

    /**
     * Per-principal quotas; 0 = unlimited (the default, so the embedded demo and benches are
     * unchanged). {@code awaitingAuth}: WebSockets one client address may hold open without a token
     * while they wait for their first {@code auth} ({@code livequery.limits.per-address.awaiting-auth},
     * default {@link #AWAITING_AUTH}; jwt mode only, 0 = unlimited).
     */
    public record Limits(int connections, int subscriptions, int shapes, double writesPerSecond, int awaitingAuth) {
        public static final Limits NONE = new Limits(0, 0, 0, 0, 0);
        /**
         * A browser sends its token within milliseconds of the open, so even a large office behind
         * one address rarely has many waiting at once; without a bound one address could take every
         * connection slot of the gateway for 10 s at a time, before it is anyone.
         */
        public static final int AWAITING_AUTH = 64;
    }

    public boolean jwt() {
        return mode.equals("jwt");
    }

    /** Auth off: anyone who reaches the gateway may do anything (the §9 default). */
    public static AuthSettings none() {
        return new AuthSettings(
                "none",
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                Duration.ofSeconds(30),
                Duration.ofMinutes(5),
                Limits.NONE,
                List.of(),
                null);
    }

    public static AuthSettings from(Config config) {
        ConfigLookup l = ConfigLookup.of(config);
        String mode = l.string("livequery.auth.mode", "none").toLowerCase(Locale.ROOT);
        if (!mode.equals("none") && !mode.equals("jwt")) {
            throw new IllegalArgumentException("livequery.auth.mode must be 'none' or 'jwt', got '" + mode + "'");
        }
        String file = l.string("livequery.auth.rules-file", null);
        JsonNode rules;
        String origin;
        if (file != null) {
            rules = RulesSource.file(Path.of(file));
            origin = file;
        } else {
            rules = tree(l, "livequery.auth.rules");
            origin = "livequery.auth.rules";
        }
        Limits limits = new Limits(
                l.get("livequery.limits.per-principal.connections", Integer::parseInt, 0),
                l.get("livequery.limits.per-principal.subscriptions", Integer::parseInt, 0),
                l.get("livequery.limits.per-principal.shapes", Integer::parseInt, 0),
                l.get("livequery.limits.per-principal.writes-per-second", Double::parseDouble, 0.0),
                l.get("livequery.limits.per-address.awaiting-auth", Integer::parseInt, Limits.AWAITING_AUTH));
        if (limits.awaitingAuth() < 0) {
            throw new IllegalArgumentException(
                    "config livequery.limits.per-address.awaiting-auth must be at least 0 (0 = unlimited), got "
                            + limits.awaitingAuth());
        }
        return new AuthSettings(
                mode,
                l.string("livequery.auth.jwt.hs256-secret", null),
                l.string("livequery.auth.jwt.public-key", null),
                l.get("livequery.auth.jwt.jwks-uri", URI::create, null),
                l.string("livequery.auth.jwt.issuer", null),
                l.string("livequery.auth.jwt.audience", null),
                rules,
                origin,
                l.get("livequery.auth.jwt.jwks-min-refresh", Duration::parse, Duration.ofSeconds(30)),
                l.get("livequery.auth.jwt.jwks-ttl", Duration::parse, Duration.ofMinutes(5)),
                limits,
                l.list("livequery.trusted-proxies"),
                l.get("livequery.management.port", Integer::parseInt, null));
    }

    /** A map-valued key: the env var (as JSON) or the config subtree; null when absent. */
    private static JsonNode tree(ConfigLookup l, String key) {
        String e = l.env().get(ConfigLookup.envName(key));
        if (e != null && !e.isBlank()) {
            return RulesSource.text(e, key);
        }
        Config c = l.config().get(key);
        if (c.isLeaf()) {
            // a system property or a flat config source: the map as JSON/YAML text
            return c.asString().map(t -> RulesSource.text(t, key)).orElse(null);
        }
        return c.exists() ? RulesSource.config(c) : null;
    }
}
