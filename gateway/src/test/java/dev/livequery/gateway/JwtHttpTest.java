package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.livequery.core.Json;
import dev.livequery.gateway.auth.Auth;
import dev.livequery.gateway.auth.AuthSettings;
import dev.livequery.testkit.wire.WsClient;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PROTOCOL §9 over real HTTP: who needs a token, where it travels, what every bad token gets, what rules allow. */
class JwtHttpTest {
    static AuthGateway gw;

    @BeforeAll
    static void start() {
        gw = new AuthGateway(
                "livequery.auth.jwt.issuer", "https://issuer.example", "livequery.auth.jwt.audience", "livequery");
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String good(String sub, String tenant) {
        return sign(base(sub).claim("tenant", tenant).build(), AuthGateway.HS_SECRET);
    }

    static JWTClaimsSet.Builder base(String sub) {
        return new JWTClaimsSet.Builder()
                .subject(sub)
                .issuer("https://issuer.example")
                .audience("livequery")
                .expirationTime(Date.from(Instant.now().plusSeconds(300)));
    }

    static String sign(JWTClaimsSet c, String secret) {
        return AuthGateway.sign(c, secret);
    }

    static String code(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body()).at("/error/code").asText();
    }

    @Test
    void healthNeedsNoTokenAndEveryApiRequestDoes() throws Exception {
        assertThat(gw.http("GET", "/health", null, null).statusCode()).isEqualTo(200);
        for (String[] req : new String[][] {
            {"GET", "/v1/tables/items/rows/a"},
            {"PUT", "/v1/tables/items/rows/a"},
            {"GET", "/v1/tables/items/query?limit=5"},
            {"POST", "/v1/tables/items/batch"},
            {"DELETE", "/v1/tables/items/rows/a"},
            {"GET", "/v1/live/items?limit=5"},
            {"GET", "/metrics"}
        }) {
            HttpResponse<String> r =
                    gw.http(req[0], req[1], req[0].equals("PUT") || req[0].equals("POST") ? "{}" : null, null);
            assertThat(r.statusCode()).as(req[0] + " " + req[1]).isEqualTo(401);
            assertThat(code(r)).isEqualTo("unauthorized");
        }
    }

    /**
     * PROTOCOL §9: "every request but /health and the static page needs a valid token": the page
     * (demo on) and the client script it loads (docs/protocol.md) are served without one, while the
     * API next to them is not.
     */
    @Test
    void theStaticPageAndTheClientScriptNeedNoToken() throws Exception {
        try (AuthGateway g = new AuthGateway("livequery.demo.enabled", "true", "livequery.demo.rows", "10")) {
            for (String path : new String[] {"/", "/index.html", "/v1/client/livequery.js"}) {
                HttpResponse<String> r = g.http("GET", path, null, null);
                assertThat(r.statusCode()).as(path).isEqualTo(200);
                assertThat(r.body()).as(path).isNotBlank();
            }
            HttpResponse<String> api = g.http("GET", "/v1/tables/demo_items/query?limit=5", null, null);
            assertThat(api.statusCode()).isEqualTo(401);
            assertThat(code(api)).isEqualTo("unauthorized");
        }
    }

    @Test
    void badTokensAre401AndNothingSecretIsLogged() throws Exception {
        String valid = good("u1", "acme");
        String[] parts = valid.split("\\.");
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("RSA");
        kpg.initialize(2048);
        var rsa = kpg.generateKeyPair();
        SignedJWT rs = new SignedJWT(
                new JWSHeader(JWSAlgorithm.RS256),
                base("u1").claim("tenant", "acme").build());
        rs.sign(new RSASSASigner((RSAPrivateKey) rsa.getPrivate()));
        String tampered = parts[0] + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(base("u1")
                                .claim("tenant", "other")
                                .build()
                                .toString()
                                .getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put(
                "forged signature",
                sign(base("u1").claim("tenant", "acme").build(), "another-secret-another-secret-another-secret"));
        bad.put("alg none", new PlainJWT(base("u1").claim("tenant", "acme").build()).serialize());
        bad.put(
                "alg none with a signature",
                Base64.getUrlEncoder()
                                .withoutPadding()
                                .encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8))
                        + "." + parts[1] + "." + parts[2]);
        bad.put("RS256 while the key is HS256", rs.serialize());
        bad.put("HS384 with the right secret", hs384());
        bad.put(
                "expired",
                sign(
                        base("u1")
                                .expirationTime(Date.from(Instant.now().minusSeconds(120)))
                                .build(),
                        AuthGateway.HS_SECRET));
        bad.put(
                "not yet valid",
                sign(
                        base("u1")
                                .notBeforeTime(Date.from(Instant.now().plusSeconds(120)))
                                .build(),
                        AuthGateway.HS_SECRET));
        bad.put("wrong issuer", sign(base("u1").issuer("https://evil.example").build(), AuthGateway.HS_SECRET));
        bad.put("wrong audience", sign(base("u1").audience("someone-else").build(), AuthGateway.HS_SECRET));
        bad.put("no exp", sign(base("u1").expirationTime(null).build(), AuthGateway.HS_SECRET));
        bad.put(
                "exp null",
                raw("{\"sub\":\"u1\",\"iss\":\"https://issuer.example\",\"aud\":\"livequery\",\"exp\":null}"));
        bad.put("tampered claims", tampered);
        bad.put("garbage", "not-a-jwt");
        bad.put("three dots of garbage", "abc.def.ghi");
        bad.put("oversized", sign(base("u1").claim("pad", "x".repeat(7_000)).build(), AuthGateway.HS_SECRET));
        try (LogCapture logs = new LogCapture()) {
            for (Map.Entry<String, String> e : bad.entrySet()) {
                String t = e.getValue();
                HttpResponse<String> header = gw.http("GET", "/v1/tables/open/query?limit=5", null, t);
                assertThat(header.statusCode())
                        .as(e.getKey() + " (header): " + header.body())
                        .isEqualTo(401);
                assertThat(code(header)).isEqualTo("unauthorized");
                assertThat(header.body()).doesNotContain(t).doesNotContain(AuthGateway.HS_SECRET);
                if (t.length() < 4000) {
                    HttpResponse<String> cookie =
                            gw.http("GET", "/v1/tables/open/query?limit=5", null, null, "Cookie", "lq_token=" + t);
                    assertThat(cookie.statusCode()).as(e.getKey() + " (cookie)").isEqualTo(401);
                    HttpResponse<String> param =
                            gw.http("GET", "/v1/tables/open/query?limit=5&access_token=" + t, null, null);
                    assertThat(param.statusCode()).as(e.getKey() + " (query)").isEqualTo(401);
                    assertThat(upgradeStatus("/v1/ws?access_token=" + t))
                            .as(e.getKey() + " (ws upgrade)")
                            .startsWith("HTTP/1.1 401")
                            .contains("\"code\":\"unauthorized\"");
                }
            }
            assertThat(gw.http("GET", "/v1/tables/open/query?limit=5", null, valid)
                            .statusCode())
                    .isEqualTo(200);
            // §9 requires exp, not sub
            assertThat(gw.http(
                                    "GET",
                                    "/v1/tables/open/query?limit=5",
                                    null,
                                    sign(base("u1").subject(null).build(), AuthGateway.HS_SECRET))
                            .statusCode())
                    .isEqualTo(200);
            // RFC 9068 access tokens ("typ": "at+jwt") are tokens like any other (§9 names no typ)
            for (String typ : new String[] {"at+jwt", "JWT"}) {
                SignedJWT typed = new SignedJWT(
                        new JWSHeader.Builder(JWSAlgorithm.HS256)
                                .type(new com.nimbusds.jose.JOSEObjectType(typ))
                                .build(),
                        base("u1").build());
                typed.sign(
                        new com.nimbusds.jose.crypto.MACSigner(AuthGateway.HS_SECRET.getBytes(StandardCharsets.UTF_8)));
                assertThat(gw.http("GET", "/v1/tables/open/query?limit=5", null, typed.serialize())
                                .statusCode())
                        .as("typ " + typ)
                        .isEqualTo(200);
            }
            assertThat(gw.http("GET", "/v1/tables/open/query?limit=5&access_token=" + valid, null, null)
                            .statusCode())
                    .isEqualTo(200);
            assertThat(logs.lines).isNotEmpty(); // the capture works (Helidon and the gateway log at FINE)
            for (String line : logs.lines) {
                assertThat(line)
                        .doesNotContain(AuthGateway.HS_SECRET)
                        .doesNotContain(AuthGateway.MAC_SECRET)
                        .doesNotContain(valid)
                        .doesNotContain(parts[2]);
                for (String t : bad.values()) {
                    assertThat(line).as("a log line holds a token").doesNotContain(t);
                }
            }
        }
    }

    /** An HS256 token over this exact payload text (claims the builder would not write, such as {@code "exp": null}). */
    private static String raw(String payload) throws Exception {
        com.nimbusds.jose.JWSObject jws = new com.nimbusds.jose.JWSObject(
                new JWSHeader(JWSAlgorithm.HS256), new com.nimbusds.jose.Payload(payload));
        jws.sign(new MACSigner(AuthGateway.HS_SECRET.getBytes(StandardCharsets.UTF_8)));
        return jws.serialize();
    }

    private static String hs384() throws Exception {
        SignedJWT jwt =
                new SignedJWT(new JWSHeader(JWSAlgorithm.HS384), base("u1").build());
        jwt.sign(new MACSigner((AuthGateway.HS_SECRET + AuthGateway.HS_SECRET).getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    /** The status line and body of a WebSocket upgrade, by hand (java.net.http hides the body). */
    static String upgradeStatus(String pathAndQuery) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", gw.port), 5000);
            s.setSoTimeout(10_000);
            String req = "GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + gw.port
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline) {
                int n;
                try {
                    n = in.read(buf);
                } catch (java.net.SocketTimeoutException e) {
                    break;
                }
                if (n < 0) {
                    break;
                }
                out.write(buf, 0, n);
                String sofar = out.toString(StandardCharsets.UTF_8);
                if (sofar.startsWith("HTTP/1.1 101") || sofar.contains("}}")) {
                    break;
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void theTokenIsLookedForInHeaderThenCookieThenQuery() throws Exception {
        String ok = good("u1", "acme");
        assertThat(gw.http("GET", "/v1/tables/open/query?limit=5", null, null, "Cookie", "a=b; lq_token=" + ok)
                        .statusCode())
                .isEqualTo(200);
        // first found wins: a bad header is not rescued by a good cookie or parameter
        assertThat(gw.http(
                                "GET",
                                "/v1/tables/open/query?limit=5&access_token=" + ok,
                                null,
                                "bad",
                                "Cookie",
                                "lq_token=" + ok)
                        .statusCode())
                .isEqualTo(401);
        assertThat(gw.http("GET", "/v1/tables/open/query?limit=5&access_token=bad", null, ok)
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void rulesScopeReadsAndWritesToTheTenant() throws Exception {
        String acme = good("u1", "acme");
        String globex = good("u2", "globex");
        assertThat(gw.http("PUT", "/v1/tables/items/rows/a1", "{\"id\":\"a1\",\"tenant\":\"acme\",\"n\":1}", acme)
                        .statusCode())
                .isEqualTo(200);
        assertThat(gw.http("PUT", "/v1/tables/items/rows/g1", "{\"id\":\"g1\",\"tenant\":\"globex\",\"n\":2}", globex)
                        .statusCode())
                .isEqualTo(200);
        // a row of another tenant does not exist for this token
        HttpResponse<String> get = gw.http("GET", "/v1/tables/items/rows/a1", null, globex);
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(get.body()).doesNotContain("acme");
        assertThat(gw.http("GET", "/v1/tables/items/rows/a1", null, acme).statusCode())
                .isEqualTo(200);
        // writing it: 404 as if absent; writing a row into another tenant: 403; nothing changed
        assertThat(gw.http("PUT", "/v1/tables/items/rows/a1", "{\"id\":\"a1\",\"tenant\":\"globex\"}", globex)
                        .statusCode())
                .isEqualTo(404);
        assertThat(gw.http("DELETE", "/v1/tables/items/rows/a1", null, globex).statusCode())
                .isEqualTo(404);
        assertThat(gw.http("PATCH", "/v1/tables/items/rows/a1", "{\"n\":9}", globex)
                        .statusCode())
                .isEqualTo(404);
        HttpResponse<String> move =
                gw.http("PUT", "/v1/tables/items/rows/x9", "{\"id\":\"x9\",\"tenant\":\"acme\"}", globex);
        assertThat(move.statusCode()).isEqualTo(403);
        assertThat(code(move)).isEqualTo("forbidden");
        assertThat(gw.http(
                                "POST",
                                "/v1/tables/items/batch",
                                "{\"upsert\":[{\"id\":\"g2\",\"tenant\":\"globex\"},"
                                        + "{\"id\":\"g3\",\"tenant\":\"acme\"}]}",
                                globex)
                        .statusCode())
                .isEqualTo(403);
        assertThat(gw.http("GET", "/v1/tables/items/rows/g2", null, globex).statusCode())
                .isEqualTo(404);
        // the one-shot query holds only the tenant's rows
        JsonNode rows = Json.MAPPER
                .readTree(gw.http("GET", "/v1/tables/items/query?limit=50", null, acme)
                        .body())
                .get("rows");
        assertThat(rows).isNotEmpty().allMatch(r -> r.get("tenant").asText().equals("acme"));
        assertThat(Json.MAPPER
                        .readTree(gw.http("GET", "/v1/tables/items/rows/a1", null, acme)
                                .body())
                        .at("/row/n")
                        .asInt())
                .isEqualTo(1);
        // a table no rule names, and a table the rules deny: 403 forbidden
        HttpResponse<String> unnamed = gw.http("GET", "/v1/tables/secret/query?limit=5", null, acme);
        assertThat(unnamed.statusCode()).isEqualTo(403);
        assertThat(code(unnamed)).isEqualTo("forbidden");
        assertThat(gw.http("GET", "/v1/live/secret?limit=5", null, acme).statusCode())
                .isEqualTo(403);
        assertThat(gw.http("GET", "/v1/tables/audit_log/query?limit=5", null, acme)
                        .statusCode())
                .isEqualTo(403);
        String admin = sign(base("root").claim("roles", List.of("admin")).build(), AuthGateway.HS_SECRET);
        assertThat(gw.http("GET", "/v1/tables/audit_log/query?limit=5", null, admin)
                        .statusCode())
                .isEqualTo(200);
        assertThat(gw.http("PUT", "/v1/tables/audit_log/rows/z", "{\"id\":\"z\"}", admin)
                        .statusCode())
                .isEqualTo(403);
        // a token without the claim the rule needs is denied, not given every row
        String noTenant = sign(base("u3").build(), AuthGateway.HS_SECRET);
        assertThat(gw.http("GET", "/v1/tables/items/query?limit=5", null, noTenant)
                        .statusCode())
                .isEqualTo(403);
    }

    /** PROTOCOL §9: auth is off by default, and the gateway then says at start that it is open. */
    @Test
    void noneModeIsTheDefaultAndSaysAtStartThatItIsOpen() {
        AuthSettings s = AuthSettings.from(Config.just(ConfigSources.create(Map.of())));
        assertThat(s.mode()).isEqualTo("none");
        try (LogCapture logs = new LogCapture()) {
            Auth.start(s, null);
            assertThat(logs.lines)
                    .anyMatch(l -> l.contains("livequery.auth.mode is none")
                            && l.contains("anyone who can reach this gateway can read and write every table"));
        }
    }

    @Test
    void jwtModeRefusesToStartWithoutItsOwnSecret() {
        for (String secret : new String[] {null, "livequery-dev-secret-change-me"}) {
            Map<String, String> m = new java.util.HashMap<>(
                    Map.of("livequery.auth.mode", "jwt", "livequery.auth.jwt.hs256-secret", AuthGateway.HS_SECRET));
            if (secret != null) {
                m.put("livequery.secret", secret);
            }
            Config c = Config.just(ConfigSources.create(m));
            assertThatThrownBy(() ->
                            Auth.start(AuthSettings.from(c), Settings.from(c).secret()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("livequery.secret");
        }
        Config shortKey = Config.just(ConfigSources.create(Map.of(
                "livequery.auth.mode",
                "jwt",
                "livequery.secret",
                "s3cr3t-of-my-own",
                "livequery.auth.jwt.hs256-secret",
                "too-short")));
        assertThatThrownBy(() -> Auth.start(AuthSettings.from(shortKey), "s3cr3t-of-my-own"))
                .hasMessageContaining("at least 32 bytes");
        Config noKey = Config.just(ConfigSources.create(Map.of("livequery.auth.mode", "jwt")));
        assertThatThrownBy(() -> Auth.start(AuthSettings.from(noKey), "s3cr3t-of-my-own"))
                .hasMessageContaining("no key");
    }

    @Test
    void expiredTokensGetNoLeewayBeyondThirtySeconds() throws Exception {
        String slightly = sign(
                base("u1")
                        .claim("tenant", "acme")
                        .expirationTime(Date.from(Instant.now().minusSeconds(10)))
                        .build(),
                AuthGateway.HS_SECRET);
        assertThat(gw.http("GET", "/v1/tables/open/query?limit=5", null, slightly)
                        .statusCode())
                .isEqualTo(200);
        String long_ = sign(
                base("u1")
                        .expirationTime(Date.from(Instant.now().minus(Duration.ofSeconds(45))))
                        .build(),
                AuthGateway.HS_SECRET);
        assertThat(gw.http("GET", "/v1/tables/open/query?limit=5", null, long_).statusCode())
                .isEqualTo(401);
        // nbf is honoured with the same 30 s leeway (§9)
        String soon = sign(
                base("u1")
                        .notBeforeTime(Date.from(Instant.now().plusSeconds(10)))
                        .build(),
                AuthGateway.HS_SECRET);
        assertThat(gw.http("GET", "/v1/tables/open/query?limit=5", null, soon).statusCode())
                .isEqualTo(200);
        String later = sign(
                base("u1")
                        .notBeforeTime(Date.from(Instant.now().plusSeconds(45)))
                        .build(),
                AuthGateway.HS_SECRET);
        assertThat(gw.http("GET", "/v1/tables/open/query?limit=5", null, later).statusCode())
                .isEqualTo(401);
    }

    /**
     * A list of rules one of which has its own or (PROTOCOL §9: a list means any of them; §2: one
     * top-level or): the gateway distributes it, and a query, a GET and a live subscription see
     * exactly the rows the rule describes.
     */
    @Test
    void aListRuleWithItsOwnOrAdmitsExactlyItsRows() throws Exception {
        String rules = """
                {"docs": {"read": [{"where": {"owner": "$claims.sub"}},
                                   {"where": {"tenant": "$claims.tenant", "level": {"gte": 0},
                                              "or": [{"public": true}, {"level": {"lte": 2}}]}}],
                          "write": true}}""";
        try (AuthGateway g = new AuthGateway("livequery.auth.rules", rules)) {
            String writer = sign(base("w").build(), AuthGateway.HS_SECRET);
            String reader = AuthGateway.token("u", Duration.ofMinutes(5), "tenant", "acme");
            java.util.TreeSet<String> admitted = new java.util.TreeSet<>();
            java.util.TreeSet<String> all = new java.util.TreeSet<>();
            String in = null; // comes in when its level drops to 2
            String out = null; // leaves when it stops being public
            int i = 0;
            for (String owner : new String[] {"u", "v", null}) {
                for (String tenant : new String[] {"acme", "globex"}) {
                    for (Boolean pub : new Boolean[] {true, false, null}) {
                        for (Integer level : new Integer[] {-1, 1, 3, null}) {
                            String id = "d" + (i++);
                            var row =
                                    Json.MAPPER.createObjectNode().put("id", id).put("tenant", tenant);
                            if (owner != null) row.put("owner", owner);
                            if (pub != null) row.put("public", pub);
                            if (level != null) row.put("level", level);
                            assertThat(g.http("PUT", "/v1/tables/docs/rows/" + id, row.toString(), writer)
                                            .statusCode())
                                    .isEqualTo(200);
                            all.add(id);
                            if (owner == null
                                    && tenant.equals("acme")
                                    && Integer.valueOf(3).equals(level)) {
                                if (Boolean.TRUE.equals(pub)) {
                                    out = id;
                                } else {
                                    in = id;
                                }
                            }
                            boolean levelOk = level != null && level >= 0;
                            if ("u".equals(owner)
                                    || ("acme".equals(tenant) && levelOk && (Boolean.TRUE.equals(pub) || level <= 2))) {
                                admitted.add(id);
                            }
                        }
                    }
                }
            }
            assertThat(admitted).hasSizeBetween(10, all.size() - 10);
            JsonNode rows = Json.MAPPER
                    .readTree(g.http("GET", "/v1/tables/docs/query?limit=100", null, reader)
                            .body())
                    .get("rows");
            java.util.TreeSet<String> seen = new java.util.TreeSet<>();
            rows.forEach(r -> seen.add(r.get("id").asText()));
            assertThat(seen).isEqualTo(admitted);
            for (String id : all) {
                assertThat(g.http("GET", "/v1/tables/docs/rows/" + id, null, reader)
                                .statusCode())
                        .as(id)
                        .isEqualTo(admitted.contains(id) ? 200 : 404);
            }
            try (WsClient c = g.ws(reader)) {
                c.send("{\"action\":\"subscribe\",\"sub\":\"s\",\"query\":{\"table\":\"docs\",\"limit\":100}}");
                org.awaitility.Awaitility.await()
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> c.replica("s").readies() == 1);
                assertThat(new java.util.TreeSet<>(c.replica("s").ids())).isEqualTo(admitted);
                // live changes: one row moves in (level 3 to 2), one moves out (public to false)
                assertThat(admitted).doesNotContain(in).contains(out);
                assertThat(in).isNotNull();
                assertThat(out).isNotNull();
                assertThat(g.http("PATCH", "/v1/tables/docs/rows/" + in, "{\"level\":2}", writer)
                                .statusCode())
                        .isEqualTo(200);
                assertThat(g.http("PATCH", "/v1/tables/docs/rows/" + out, "{\"public\":false}", writer)
                                .statusCode())
                        .isEqualTo(200);
                admitted.add(in);
                admitted.remove(out);
                org.awaitility.Awaitility.await()
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> new java.util.TreeSet<>(c.replica("s").ids()).equals(admitted));
                assertThat(c.replica("s").violations()).isEmpty();
            }
        }
    }
}
