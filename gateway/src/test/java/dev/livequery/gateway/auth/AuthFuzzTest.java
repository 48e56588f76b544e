package dev.livequery.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.util.Map;

/**
 * Fuzz targets for what an attacker or an operator types: the rule language (parse, then grant
 * with arbitrary claims, then the engine's parse of the resulting filter), the token verifier, and
 * the WebSocket command path of this package ({@code auth}, and a subscribe's query scoped by grant).
 * A crash or an uncoded error is a failure: rules may only fail with IllegalArgumentException (a
 * start-up message), grants never throw, filters parse or are a coded error, tokens are
 * {@code unauthorized}.
 *
 * <p>{@code mvn verify} runs the regression corpus under {@code src/test/resources/…/AuthFuzzTestInputs};
 * {@code JAZZER_FUZZ=1 ./mvnw -pl gateway -am verify -Dtest=AuthFuzzTest} fuzzes for real.
 */
class AuthFuzzTest {
    private static final TokenVerifier VERIFIER =
            new TokenVerifier(AuthSettings.from(Config.just(ConfigSources.create(Map.of(
                    "livequery.auth.mode",
                    "jwt",
                    "livequery.auth.jwt.hs256-secret",
                    "fuzz-secret-fuzz-secret-fuzz-secret-fuzz",
                    "livequery.auth.jwt.issuer",
                    "fuzz")))));

    @FuzzTest(maxDuration = "10s")
    void rules(FuzzedDataProvider data) {
        String rulesText = data.consumeString(2000);
        String claimsText = data.consumeRemainingAsString();
        Rules rules;
        try {
            rules = Rules.parse(RulesSource.text(rulesText, "fuzz"), "fuzz");
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        JsonNode claims;
        try {
            claims = Json.MAPPER.readTree(claimsText);
        } catch (Exception e) {
            return;
        }
        if (claims == null || !claims.isObject()) {
            return;
        }
        for (String table : new String[] {"items", "a", "zz_9", "*"}) {
            for (Rules.Op op : Rules.Op.values()) {
                Grant g = rules.grant(table, op, claims);
                try {
                    Scoped.where(g);
                } catch (LiveQueryException e) {
                    assertThat(e.code()).isEqualTo(LiveQueryException.Code.FORBIDDEN);
                }
            }
        }
    }

    private static final Auth AUTH = Auth.start(
            AuthSettings.from(Config.just(ConfigSources.create(Map.of(
                    "livequery.auth.mode",
                    "jwt",
                    "livequery.secret",
                    "fuzz-mac-secret",
                    "livequery.auth.jwt.hs256-secret",
                    "fuzz-secret-fuzz-secret-fuzz-secret-fuzz",
                    "livequery.auth.rules",
                    "{\"items\":{\"read\":{\"where\":{\"tenant\":\"$claims.tenant\"}}}}")))),
            "fuzz-mac-secret");

    private static final JsonNode SIGNED_IN = Json.MAPPER
            .createObjectNode()
            .put("action", "auth")
            .put(
                    "token",
                    TokenMain.mint(
                            new String[] {"--sub", "u", "--claim", "tenant=acme", "--ttl", "1d"}, AUTH.settings()));

    /**
     * The WebSocket command path this package owns: a message parsed as JSON, an {@code auth}
     * command, and a {@code subscribe}'s query scoped by the connection's grant. Only coded errors.
     */
    @FuzzTest(maxDuration = "10s")
    void socketCommands(FuzzedDataProvider data) {
        String message = data.consumeRemainingAsString();
        JsonNode msg;
        try {
            msg = Json.MAPPER.readTree(message);
        } catch (Exception e) {
            return; // LiveSocket answers bad_request before anything of ours runs
        }
        if (msg == null || !msg.isObject()) {
            return;
        }
        SocketAuth socket = new SocketAuth(AUTH);
        socket.open("127.0.0.1", () -> {}, () -> {}, () -> {}, () -> {});
        try {
            if ("auth".equals(msg.path("action").asText())) {
                socket.command(msg);
            } else {
                socket.command(SIGNED_IN); // so the subscribe reaches the grant and the scoped query
            }
            socket.subscribe("s", dev.livequery.core.Query.parse(msg.get("query")));
        } catch (LiveQueryException e) {
            assertThat(e.code()).isNotNull();
            assertThat(e.getMessage()).doesNotContain("fuzz-secret");
        } finally {
            socket.close();
        }
    }

    @FuzzTest(maxDuration = "10s")
    void tokens(FuzzedDataProvider data) {
        String token = data.consumeRemainingAsString();
        try {
            Principal p = VERIFIER.verify(token);
            throw new AssertionError("a fuzzed token verified: " + p);
        } catch (LiveQueryException e) {
            assertThat(e.code()).isEqualTo(LiveQueryException.Code.UNAUTHORIZED);
            assertThat(e.getMessage()).doesNotContain("fuzz-secret");
        }
    }
}
