package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import java.net.MalformedURLException;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies a JWT against the configured keys (PROTOCOL §9), with Nimbus JOSE doing all of it.
 *
 * <p>Each configured key pins its algorithm: the HS256 secret verifies only HS256, a PEM RSA key only
 * RS256, a PEM EC key only ES256, a JWKS only RS256/ES256 with a key of that type. The header's
 * {@code alg} picks the selector, so {@code none} (which Nimbus never accepts in a signed-JWT
 * processor anyway), HS256 signed with a public key, and every other algorithm find no key.
 * {@code exp} and {@code sub} are required, {@code nbf} honoured, clocks may disagree by 30 s.
 */
public final class TokenVerifier {
    /** Longest token read at all: a header cannot be larger, and an oversized one costs no parsing. */
    public static final int MAX_TOKEN = 8 * 1024;

    static final int LEEWAY_SECONDS = 30;

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    /** Null with a JWKS: its keys can be withdrawn, so no verification is reused (see VerifiedTokens). */
    private final VerifiedTokens verified;

    TokenVerifier(AuthSettings s) {
        verified = s.jwksUri() == null ? new VerifiedTokens(java.time.Clock.systemUTC()) : null;
        Map<JWSAlgorithm, JWSKeySelector<SecurityContext>> byAlg = new HashMap<>();
        if (s.hs256Secret() != null) {
            byte[] secret = s.hs256Secret().getBytes(StandardCharsets.UTF_8);
            if (secret.length < 32) {
                throw new IllegalArgumentException(
                        "livequery.auth.jwt.hs256-secret must be at least 32 bytes (256 bits), got " + secret.length);
            }
            byAlg.put(
                    JWSAlgorithm.HS256,
                    new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(secret)));
        }
        if (s.publicKeyPem() != null) {
            PublicKey k = PemKeys.publicKey(s.publicKeyPem());
            if (k instanceof RSAPublicKey rsa) {
                byAlg.put(
                        JWSAlgorithm.RS256,
                        new JWSVerificationKeySelector<>(
                                JWSAlgorithm.RS256,
                                new ImmutableJWKSet<>(new JWKSet(new RSAKey.Builder(rsa).build()))));
            } else {
                byAlg.put(
                        JWSAlgorithm.ES256,
                        new JWSVerificationKeySelector<>(
                                JWSAlgorithm.ES256,
                                new ImmutableJWKSet<>(
                                        new JWKSet(new ECKey.Builder(Curve.P_256, (ECPublicKey) k).build()))));
            }
        }
        if (s.jwksUri() != null) {
            JWKSource<SecurityContext> jwks;
            try {
                jwks = JWKSourceBuilder.<SecurityContext>create(s.jwksUri().toURL())
                        .cache(s.jwksTtl().toMillis(), JWKSourceBuilder.DEFAULT_CACHE_REFRESH_TIMEOUT)
                        .rateLimited(s.jwksMinRefresh().toMillis())
                        .retrying(false)
                        .build();
            } catch (MalformedURLException | IllegalArgumentException e) {
                throw new IllegalArgumentException("livequery.auth.jwt.jwks-uri is not a URL: " + e.getMessage(), e);
            }
            for (JWSAlgorithm alg : List.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256)) {
                byAlg.merge(alg, new JWSVerificationKeySelector<>(alg, jwks), TokenVerifier::either);
            }
        }
        if (byAlg.isEmpty()) {
            throw new IllegalArgumentException("livequery.auth.mode is jwt but no key is configured: set "
                    + "livequery.auth.jwt.hs256-secret, .public-key or .jwks-uri");
        }
        Map<JWSAlgorithm, JWSKeySelector<SecurityContext>> selectors = Map.copyOf(byAlg);
        processor.setJWSKeySelector((header, ctx) -> {
            JWSKeySelector<SecurityContext> sel = selectors.get(header.getAlgorithm());
            return sel == null ? List.of() : sel.selectJWSKeys(header, ctx);
        });
        // Nimbus accepts only "typ": "JWT" (or none) by default; identity providers that follow
        // RFC 9068 issue access tokens as "at+jwt", which PROTOCOL §9 gives no reason to refuse.
        processor.setJWSTypeVerifier(
                new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        if (s.issuer() != null) {
            exact.issuer(s.issuer());
        }
        DefaultJWTClaimsVerifier<SecurityContext> claims =
                new DefaultJWTClaimsVerifier<>(s.audience(), exact.build(), Set.of("exp"));
        claims.setMaxClockSkew(LEEWAY_SECONDS);
        processor.setJWTClaimsSetVerifier(claims);
    }

    /** A pinned PEM key and a JWKS for the same algorithm: the PEM key, then the set. */
    private static JWSKeySelector<SecurityContext> either(
            JWSKeySelector<SecurityContext> a, JWSKeySelector<SecurityContext> b) {
        return (JWSHeader header, SecurityContext ctx) -> {
            List<? extends Key> keys = a.selectJWSKeys(header, ctx);
            if (!keys.isEmpty()) {
                return keys;
            }
            return b.selectJWSKeys(header, ctx);
        };
    }

    /**
     * The principal of a valid token. Every failure is {@code unauthorized} with a message that
     * names the reason but never the token.
     */
    Principal verify(String token) throws LiveQueryException {
        if (token == null || token.isEmpty()) {
            throw unauthorized("no token");
        }
        if (token.length() > MAX_TOKEN) {
            throw unauthorized("token is over " + MAX_TOKEN + " characters");
        }
        Principal known = verified == null ? null : verified.get(token);
        if (known != null) {
            return known;
        }
        JWTClaimsSet c;
        try {
            c = processor.process(token, null);
        } catch (ParseException e) {
            throw unauthorized("token is not a JWT");
        } catch (BadJWTException e) {
            throw unauthorized("token claims rejected (" + e.getMessage() + ")");
        } catch (BadJOSEException e) {
            throw unauthorized("token rejected (" + e.getMessage() + ")");
        } catch (KeySourceException e) {
            throw unauthorized("the signing keys could not be fetched; try again");
        } catch (com.nimbusds.jose.JOSEException | RuntimeException e) {
            throw unauthorized("token could not be verified");
        }
        if (c.getExpirationTime() == null) {
            // Nimbus's required-claims check sees the name only: "exp": null passes it (PROTOCOL §9: exp is required)
            throw unauthorized("token claims rejected (exp is not a time)");
        }
        JsonNode claims = Json.MAPPER.valueToTree(c.toJSONObject());
        Principal p = Principal.of(c.getSubject(), claims, c.getExpirationTime().toInstant());
        if (verified != null) {
            verified.put(token, p);
        }
        return p;
    }

    /** How many verified tokens are remembered (tests). */
    int remembered() {
        return verified == null ? 0 : verified.size();
    }

    private static LiveQueryException unauthorized(String why) {
        return new LiveQueryException(LiveQueryException.Code.UNAUTHORIZED, why);
    }
}
