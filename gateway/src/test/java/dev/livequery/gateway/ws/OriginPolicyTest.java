package dev.livequery.gateway.ws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OriginPolicyTest {
    @Test
    void defaultAllowsSameHostAndLocalhostOnly() {
        OriginPolicy p = new OriginPolicy(List.of());
        assertThat(p.allows(null, "x")).isTrue();
        assertThat(p.allows("http://localhost:3000", "app.example")).isTrue();
        assertThat(p.allows("https://app.example", "app.example")).isTrue();
        assertThat(p.allows("https://app.example:8443", "app.example:8443")).isTrue();
        assertThat(p.allows("https://evil.example", "app.example")).isFalse();
        assertThat(p.allows("null", "app.example")).isFalse();
    }

    @Test
    void explicitListIsExact() {
        OriginPolicy p = new OriginPolicy(List.of("https://app.example/"));
        assertThat(p.allows("https://app.example", "gw.internal")).isTrue();
        assertThat(p.allows("http://localhost", "gw.internal")).isFalse();
        assertThat(new OriginPolicy(List.of("*")).allows("https://any.example", "h"))
                .isTrue();
    }
}
