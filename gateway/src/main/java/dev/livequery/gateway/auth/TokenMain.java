package dev.livequery.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.helidon.config.Config;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;

/**
 * {@code bin/token --sub u1 --claim tenant=acme [--role admin] [--ttl 1h]}: prints an HS256 token
 * signed with the gateway's {@code livequery.auth.jwt.hs256-secret} (read like the gateway reads it:
 * environment, system properties, application.yaml), with its issuer and audience when configured.
 * For trying jwt mode out and for tests; production tokens come from an identity provider.
 */
public final class TokenMain {
    private TokenMain() {}

    static final String USAGE =
            "usage: bin/token --sub <sub> [--claim name=value]... [--role <role>]... [--ttl 1h|30m|90s|2d|PT1H]";

    /** What {@code bin/token --help} prints (on stdout, exit status 0). */
    static final String HELP = "bin/token: prints an HS256 token for trying livequery.auth.mode=jwt, signed with\n"
            + "livequery.auth.jwt.hs256-secret (env LIVEQUERY_AUTH_JWT_HS256_SECRET, at least 32 bytes, the\n"
            + "gateway's), with livequery.auth.jwt.issuer / .audience when they are set.\n"
            + USAGE + "\n"
            + "  --sub <sub>         the token's sub, the principal (required)\n"
            + "  --claim name=value  a string claim, e.g. tenant=acme for a rule's \"$claims.tenant\" (repeatable)\n"
            + "  --role <role>       a member of the roles claim (repeatable)\n"
            + "  --ttl <duration>    lifetime (exp - iat), default 1h";

    public static void main(String[] args) {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.println(HELP);
            return;
        }
        try {
            System.out.println(mint(args, AuthSettings.from(Config.create())));
        } catch (IllegalArgumentException e) {
            System.err.println("bin/token: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        }
    }

    static String mint(String[] args, AuthSettings s) {
        String sub = null;
        Duration ttl = Duration.ofHours(1);
        List<String> roles = new ArrayList<>();
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                throw new IllegalArgumentException("mints a token for trying livequery.auth.mode=jwt");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--sub" -> sub = v;
                case "--role" -> roles.add(v);
                case "--ttl" -> ttl = ttl(v);
                case "--claim" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--claim takes name=value, got '" + v + "'");
                    }
                    b.claim(v.substring(0, eq), v.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (sub == null || sub.isEmpty()) {
            throw new IllegalArgumentException("--sub is required");
        }
        String secret = s.hs256Secret();
        if (secret == null) {
            throw new IllegalArgumentException("livequery.auth.jwt.hs256-secret is not set (e.g. export "
                    + "LIVEQUERY_AUTH_JWT_HS256_SECRET=… as for the gateway)");
        }
        if (secret.getBytes(StandardCharsets.UTF_8).length < 32) {
            throw new IllegalArgumentException("livequery.auth.jwt.hs256-secret must be at least 32 bytes");
        }
        Instant now = Instant.now();
        b.subject(sub).issueTime(Date.from(now)).expirationTime(Date.from(now.plus(ttl)));
        if (!roles.isEmpty()) {
            b.claim("roles", roles);
        }
        if (s.issuer() != null) {
            b.issuer(s.issuer());
        }
        if (s.audience() != null) {
            b.audience(s.audience());
        }
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), b.build());
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalArgumentException("could not sign: " + e.getMessage(), e);
        }
    }

    /** {@code 1h}, {@code 30m}, {@code 90s}, {@code 2d} or an ISO duration ({@code PT1H}). */
    static Duration ttl(String v) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return Duration.parse(v.trim().toUpperCase(Locale.ROOT));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException("unit");
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--ttl takes 90s, 30m, 1h, 2d or PT1H, got '" + v + "'");
        }
    }
}
