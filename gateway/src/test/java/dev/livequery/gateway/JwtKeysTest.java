package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Public keys: RS256 and ES256 from PEM, a JWKS with rotation and rate-limited refetches, and HS/RS confusion. */
class JwtKeysTest {
    static JWTClaimsSet claims() {
        return new JWTClaimsSet.Builder()
                .subject("u1")
                .claim("tenant", "acme")
                .expirationTime(Date.from(Instant.now().plusSeconds(300)))
                .build();
    }

    static String pem(java.security.PublicKey k) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(k.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    }

    static int status(AuthGateway gw, String token) throws Exception {
        return gw.http("GET", "/v1/tables/open/query?limit=5", null, token).statusCode();
    }

    @Test
    void rs256FromPemAndTheConfusionAttackFails() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair kp = g.generateKeyPair();
        String pem = pem(kp.getPublic());
        try (AuthGateway gw =
                new AuthGateway("livequery.auth.jwt.hs256-secret", null, "livequery.auth.jwt.public-key", pem)) {
            SignedJWT rs = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims());
            rs.sign(new RSASSASigner(kp.getPrivate()));
            assertThat(status(gw, rs.serialize())).isEqualTo(200);
            // HS256 "signed" with the public key as the HMAC secret: the classic confusion
            SignedJWT hs = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims());
            hs.sign(new MACSigner(pem.getBytes(StandardCharsets.UTF_8)));
            assertThat(status(gw, hs.serialize())).isEqualTo(401);
            SignedJWT hsDer = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims());
            hsDer.sign(new MACSigner(kp.getPublic().getEncoded()));
            assertThat(status(gw, hsDer.serialize())).isEqualTo(401);
            // another RSA algorithm with the right key is refused too: the key pins RS256
            SignedJWT ps = new SignedJWT(new JWSHeader(JWSAlgorithm.PS256), claims());
            ps.sign(new RSASSASigner(kp.getPrivate()));
            assertThat(status(gw, ps.serialize())).isEqualTo(401);
        }
    }

    @Test
    void es256FromPem() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        try (AuthGateway gw = new AuthGateway(
                "livequery.auth.jwt.hs256-secret", null, "livequery.auth.jwt.public-key", pem(kp.getPublic()))) {
            SignedJWT es = new SignedJWT(new JWSHeader(JWSAlgorithm.ES256), claims());
            es.sign(new ECDSASigner((java.security.interfaces.ECPrivateKey) kp.getPrivate()));
            assertThat(status(gw, es.serialize())).isEqualTo(200);
            SignedJWT hs = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims());
            hs.sign(new MACSigner(AuthGateway.HS_SECRET.getBytes(StandardCharsets.UTF_8)));
            assertThat(status(gw, hs.serialize())).isEqualTo(401);
        }
    }

    @Test
    void aJwksIsFetchedCachedRefreshedOnAnUnknownKidAndRateLimited() throws Exception {
        RSAKey k1 = new RSAKeyGenerator(2048).keyID("k1").generate();
        RSAKey k2 = new RSAKeyGenerator(2048).keyID("k2").generate();
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("k3").generate();
        AtomicReference<String> served = new AtomicReference<>(new JWKSet(k1.toPublicJWK()).toString());
        AtomicInteger fetches = new AtomicInteger();
        HttpServer jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwks.createContext("/jwks.json", ex -> {
            fetches.incrementAndGet();
            byte[] b = served.get().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        jwks.start();
        try (AuthGateway gw = new AuthGateway(
                "livequery.auth.jwt.hs256-secret",
                null,
                "livequery.auth.jwt.jwks-uri",
                "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json",
                "livequery.auth.jwt.jwks-min-refresh",
                "PT1S")) {
            assertThat(status(gw, sign(k1))).isEqualTo(200);
            assertThat(status(gw, sign(k1))).isEqualTo(200);
            assertThat(fetches.get()).as("cached").isEqualTo(1);
            // rotation: the issuer now signs with k2 only
            served.set(new JWKSet(k2.toPublicJWK()).toString());
            await().atMost(Duration.ofSeconds(10)).until(() -> status(gw, sign(k2)) == 200);
            int after = fetches.get();
            for (int i = 0; i < 20; i++) {
                assertThat(status(gw, sign(stranger))).isEqualTo(401);
            }
            assertThat(fetches.get() - after)
                    .as("unknown kids do not refetch on every request")
                    .isLessThanOrEqualTo(2);
            // a key the set holds verifies only with its own algorithm
            SignedJWT hs = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k2").build(), claims());
            hs.sign(new MACSigner(k2.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
            assertThat(status(gw, hs.serialize())).isEqualTo(401);
        } finally {
            jwks.stop(0);
        }
    }

    static String sign(RSAKey k) throws Exception {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(k.getKeyID()).build(), claims());
        jwt.sign(new RSASSASigner(k));
        return jwt.serialize();
    }
}
