package dev.livequery.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** bin/token mints what the gateway's own verifier accepts. */
class TokenMainTest {
    static final String SECRET = "a-secret-for-bin-token-of-32-bytes-or-more";

    @Test
    void aMintedTokenVerifiesWithTheSameSettings() throws Exception {
        AuthSettings s = AuthSettings.from(Config.just(ConfigSources.create(Map.of(
                "livequery.auth.mode",
                "jwt",
                "livequery.auth.jwt.hs256-secret",
                SECRET,
                "livequery.auth.jwt.issuer",
                "me",
                "livequery.auth.jwt.audience",
                "lq"))));
        String t = TokenMain.mint(
                new String[] {"--sub", "u1", "--claim", "tenant=acme", "--role", "admin", "--ttl", "5m"}, s);
        Principal p = new TokenVerifier(s).verify(t);
        assertThat(p.sub()).isEqualTo("u1");
        assertThat(p.claims().get("tenant").asText()).isEqualTo("acme");
        assertThat(p.claims().get("roles").get(0).asText()).isEqualTo("admin");
        assertThat(p.expires())
                .isBetween(
                        java.time.Instant.now().plusSeconds(250),
                        java.time.Instant.now().plusSeconds(310));
    }

    @Test
    void badArgumentsSayWhat() {
        AuthSettings s =
                AuthSettings.from(Config.just(ConfigSources.create(Map.of("livequery.auth.jwt.hs256-secret", SECRET))));
        assertThatThrownBy(() -> TokenMain.mint(new String[] {"--claim", "x=y"}, s))
                .hasMessageContaining("--sub");
        assertThatThrownBy(() -> TokenMain.mint(new String[] {"--sub", "u", "--ttl", "soon"}, s))
                .hasMessageContaining("--ttl");
        assertThatThrownBy(() -> TokenMain.mint(new String[] {"--sub", "u"}, AuthSettings.none()))
                .hasMessageContaining("hs256-secret");
        assertThat(TokenMain.ttl("PT2H")).isEqualTo(Duration.ofHours(2));
        assertThat(TokenMain.ttl("90s")).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void helpNamesTheSecretAndEveryOption() {
        assertThat(TokenMain.HELP)
                .contains("LIVEQUERY_AUTH_JWT_HS256_SECRET", "--sub", "--claim", "--role", "--ttl", TokenMain.USAGE);
    }
}
