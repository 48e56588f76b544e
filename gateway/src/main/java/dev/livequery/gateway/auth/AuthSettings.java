package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.config.Config;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

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
public record AuthSettings(String mode, String hs256Secret, String publicKeyPem, URI jwksUri, String issuer,
        String audience, JsonNode rules, String rulesOrigin, Duration jwksMinRefresh, Duration jwksTtl,
        Limits limits, List<String> trustedProxies, Integer managementPort) {

    /** Per-principal quotas; 0 = unlimited (the default, so the embedded demo and benches are unchanged). */
    public record Limits(int connections, int subscriptions, int shapes, double writesPerSecond) {
        public static final Limits NONE = new Limits(0, 0, 0, 0);
    }

    public boolean jwt() {
        return mode.equals("jwt");
    }

    /** Auth off: anyone who reaches the gateway may do anything (the §9 default). */
    public static AuthSettings none() {
        return new AuthSettings("none", null, null, null, null, null, null, null, Duration.ofSeconds(30),
                Duration.ofMinutes(5), Limits.NONE, List.of(), null);
    }

    public static AuthSettings from(Config config) {
        Lookup l = new Lookup(config, System.getenv());
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
            rules = l.tree("livequery.auth.rules");
            origin = "livequery.auth.rules";
        }
        Limits limits = new Limits(
                l.get("livequery.limits.per-principal.connections", Integer::parseInt, 0),
                l.get("livequery.limits.per-principal.subscriptions", Integer::parseInt, 0),
                l.get("livequery.limits.per-principal.shapes", Integer::parseInt, 0),
                l.get("livequery.limits.per-principal.writes-per-second", Double::parseDouble, 0.0));
        return new AuthSettings(mode,
                l.string("livequery.auth.jwt.hs256-secret", null),
                l.string("livequery.auth.jwt.public-key", null),
                l.get("livequery.auth.jwt.jwks-uri", URI::create, null),
                l.string("livequery.auth.jwt.issuer", null),
                l.string("livequery.auth.jwt.audience", null),
                rules, origin,
                l.get("livequery.auth.jwt.jwks-min-refresh", Duration::parse, Duration.ofSeconds(30)),
                l.get("livequery.auth.jwt.jwks-ttl", Duration::parse, Duration.ofMinutes(5)),
                limits,
                l.list("livequery.trusted-proxies"),
                l.get("livequery.management.port", Integer::parseInt, null));
    }

    /**
     * Like {@code Settings}' lookup: the obvious environment spelling of a key
     * ({@code LIVEQUERY_AUTH_JWT_HS256_SECRET}) wins over the file, because Helidon's own
     * environment source spells dashes as {@code _dash_}.
     */
    private record Lookup(Config config, Map<String, String> env) {
        Optional<String> raw(String key) {
            String e = env.get(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            if (e != null && !e.isBlank()) {
                return Optional.of(e.trim());
            }
            Config c = config.get(key);
            if (c.isList()) {
                return Optional.of(String.join(",", c.asList(String.class).get()));
            }
            return c.asString().asOptional().map(String::trim).filter(s -> !s.isEmpty());
        }

        String string(String key, String dflt) {
            return raw(key).orElse(dflt);
        }

        <T> T get(String key, Function<String, T> parse, T dflt) {
            Optional<String> v = raw(key);
            if (v.isEmpty()) {
                return dflt;
            }
            try {
                return parse.apply(v.get());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("config " + key + " is not valid: " + e.getMessage(), e);
            }
        }

        List<String> list(String key) {
            List<String> out = new ArrayList<>();
            raw(key).ifPresent(v -> {
                for (String s : v.split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
            });
            return List.copyOf(out);
        }

        /** A map-valued key: the env var (as JSON) or the config subtree; null when absent. */
        JsonNode tree(String key) {
            String e = env.get(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            if (e != null && !e.isBlank()) {
                return RulesSource.text(e, key);
            }
            Config c = config.get(key);
            if (c.isLeaf()) {
                // a system property or a flat config source: the map as JSON/YAML text
                return c.asString().map(t -> RulesSource.text(t, key)).orElse(null);
            }
            return c.exists() ? RulesSource.config(c) : null;
        }
    }
}
