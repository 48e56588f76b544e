package dev.livequery.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.livequery.core.Backend;
import dev.livequery.core.LocalBackend;
import dev.livequery.gateway.auth.Auth;
import dev.livequery.gateway.auth.AuthSettings;
import dev.livequery.testkit.wire.WsClient;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/** A real gateway on a free port in jwt mode (HS256 unless the test says otherwise) over a LocalBackend. */
final class AuthGateway implements AutoCloseable {
    static final String HS_SECRET = "test-hs256-secret-that-is-long-enough-0123456789";
    static final String MAC_SECRET = "test-cursor-secret-not-the-dev-one";
    /** Tenant rules as in PROTOCOL §9, plus an open table and a table nobody may touch. */
    static final String RULES = """
            {"items": {"read": {"where": {"tenant": "$claims.tenant"}},
                       "write": {"where": {"tenant": "$claims.tenant"}}},
             "audit_log": {"read": {"roles": ["admin"]}, "write": false},
             "open": {"read": true, "write": true}}""";

    final Backend backend;
    final Gateway gateway;
    final Auth auth;
    final int port;

    AuthGateway(String... keyValues) {
        this(null, keyValues);
    }

    /** A jwt gateway over the backend {@code make} builds from its settings (null: a LocalBackend). */
    static AuthGateway over(Function<Settings, Backend> make, String... keyValues) {
        return new AuthGateway(make, keyValues);
    }

    private AuthGateway(Function<Settings, Backend> make, String... keyValues) {
        Map<String, String> m = new HashMap<>();
        m.put("server.port", "0");
        m.put("livequery.demo.enabled", "false");
        m.put("livequery.secret", MAC_SECRET);
        m.put("livequery.auth.mode", "jwt");
        m.put("livequery.auth.jwt.hs256-secret", HS_SECRET);
        m.put("livequery.auth.rules", RULES);
        for (int i = 0; i < keyValues.length; i += 2) {
            if (keyValues[i + 1] == null) {
                m.remove(keyValues[i]);
            } else {
                m.put(keyValues[i], keyValues[i + 1]);
            }
        }
        Config c = Config.just(ConfigSources.create(m));
        Settings s = Settings.from(c);
        auth = Auth.start(AuthSettings.from(c), s.secret());
        backend = make == null ? new LocalBackend(s.engineOptions()) : make.apply(s);
        gateway = Gateway.start(s, auth, backend, null, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        port = gateway.port();
    }

    /** An HS256 token for {@code sub} with extra claims, valid for {@code ttl}. */
    static String token(String sub, Duration ttl, Object... claims) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
                .subject(sub)
                .issueTime(new Date())
                .expirationTime(Date.from(Instant.now().plus(ttl)));
        for (int i = 0; i < claims.length; i += 2) {
            b.claim((String) claims[i], claims[i + 1]);
        }
        return sign(b.build(), HS_SECRET);
    }

    static String sign(JWTClaimsSet claims, String secret) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    HttpResponse<String> http(String method, String path, String body, String token, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return WsClient.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A WebSocket carrying {@code token} as a Bearer header (null: none). */
    WsClient ws(String token) {
        WsClient c = new WsClient();
        var b = WsClient.HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        c.ws = b.buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/ws"), c).join();
        return c;
    }

    @Override
    public void close() {
        gateway.stop();
        backend.close();
    }
}
