package dev.livequery.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.livequery.core.LiveQueryException;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A token is verified once and then remembered, but never past its expiry, and never with a JWKS. */
class VerifiedTokensTest {
    static final String SECRET = "a-secret-for-verified-tokens-32-bytes-or-more";

    static AuthSettings settings(String... extra) {
        Map<String, String> m = new java.util.HashMap<>(
                Map.of("livequery.auth.mode", "jwt", "livequery.auth.jwt.hs256-secret", SECRET));
        for (int i = 0; i < extra.length; i += 2) {
            m.put(extra[i], extra[i + 1]);
        }
        return AuthSettings.from(Config.just(ConfigSources.create(m)));
    }

    static String token(String secret, Duration ttl) throws Exception {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader(JWSAlgorithm.HS256),
                new JWTClaimsSet.Builder()
                        .subject("u1")
                        .claim("tenant", "acme")
                        .expirationTime(Date.from(Instant.now().plus(ttl)))
                        .build());
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    @Test
    void aValidTokenIsVerifiedOnceAndFailuresAreNeverRemembered() throws Exception {
        TokenVerifier v = new TokenVerifier(settings());
        String t = token(SECRET, Duration.ofMinutes(5));
        Principal first = v.verify(t);
        assertThat(v.verify(t)).isSameAs(first);
        assertThat(v.remembered()).isEqualTo(1);
        // the same claims under another secret: not the remembered text, so verified, and refused
        String forged = token("another-secret-another-secret-another-secret", Duration.ofMinutes(5));
        assertThatThrownBy(() -> v.verify(forged)).isInstanceOf(LiveQueryException.class);
        assertThatThrownBy(() -> v.verify(forged)).isInstanceOf(LiveQueryException.class);
        // a changed signature byte is another text too
        String[] parts = t.split("\\.");
        char c = parts[2].charAt(0);
        String tampered = parts[0] + "." + parts[1] + "." + (c == 'A' ? 'B' : 'A') + parts[2].substring(1);
        assertThatThrownBy(() -> v.verify(tampered)).isInstanceOf(LiveQueryException.class);
        assertThat(v.remembered()).isEqualTo(1);
    }

    @Test
    void aRememberedTokenStillExpiresWithTheSameLeeway() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        Clock[] now = {Clock.fixed(t0, ZoneOffset.UTC)};
        VerifiedTokens cache = new VerifiedTokens(new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0].instant();
            }
        });
        Principal p = Principal.of("u1", dev.livequery.core.Json.MAPPER.createObjectNode(), t0.plusSeconds(10));
        cache.put("tok", p);
        assertThat(cache.get("tok")).isSameAs(p);
        now[0] = Clock.fixed(t0.plusSeconds(39), ZoneOffset.UTC);
        assertThat(cache.get("tok")).isSameAs(p);
        now[0] = Clock.fixed(t0.plusSeconds(40), ZoneOffset.UTC);
        assertThat(cache.get("tok")).isNull();
        assertThat(cache.size()).isZero();
    }

    @Test
    void theCacheIsBounded() {
        VerifiedTokens cache = new VerifiedTokens(Clock.systemUTC());
        Principal p = Principal.of(
                "u1",
                dev.livequery.core.Json.MAPPER.createObjectNode(),
                Instant.now().plusSeconds(600));
        for (int i = 0; i < VerifiedTokens.MAX * 2 + 5; i++) {
            cache.put("t" + i, p);
            assertThat(cache.size()).isLessThanOrEqualTo(VerifiedTokens.MAX);
        }
        cache.put("x".repeat(VerifiedTokens.MAX_CHARS + 1), p);
        assertThat(cache.get("x".repeat(VerifiedTokens.MAX_CHARS + 1))).isNull();
    }

    @Test
    void withAJwksNothingIsRemembered() throws Exception {
        TokenVerifier v = new TokenVerifier(settings("livequery.auth.jwt.jwks-uri", "http://127.0.0.1:9/jwks.json"));
        String t = token(SECRET, Duration.ofMinutes(5));
        Principal first = v.verify(t);
        assertThat(v.verify(t)).isNotSameAs(first);
        assertThat(v.remembered()).isZero();
    }
}
