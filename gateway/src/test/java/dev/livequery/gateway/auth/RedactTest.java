package dev.livequery.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.testkit.CountedChars;
import dev.livequery.testkit.Gen;
import dev.livequery.testkit.Property;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The log filter's JWT pattern: it redacts what the plain pattern did, and its work is linear in
 * the text, counted in characters read rather than timed (docs/protocol.md, "Logs never hold
 * credentials").
 */
class RedactTest {
    /** The pattern before: quadratic on a run of {@code eyJ}. The reference for what to redact. */
    private static final Pattern PLAIN = Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*");

    @Test
    void redactsJwtsWhereverTheyStart() {
        assertThat(Redact.text("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln end"))
                .isEqualTo("token <jwt redacted> end");
        assertThat(Redact.text("q=%22eyJa.eyJb.c%22&x=1")).isEqualTo("q=%22<jwt redacted>%22&x=1");
        assertThat(Redact.text("xeyJa.b.c")).isEqualTo("x<jwt redacted>");
        assertThat(Redact.text("eyJa.b no second dot")).isEqualTo("eyJa.b no second dot");
        assertThat(Redact.text("Bearer abc.def")).isEqualTo("Bearer <redacted>");
        assertThat(Redact.text("GET /v1/ws?access_token=abc&x=1")).isEqualTo("GET /v1/ws?access_token=<redacted>&x=1");
    }

    /** Random short texts over the characters that matter: the same output as the plain pattern. */
    @Test
    void redactsExactlyWhatThePlainPatternDid() {
        Gen<String> texts = Gen.joined(
                Gen.frequency(
                        Gen.weight(3, Gen.elements("eyJ.a-_9 /%:".split(""))), Gen.weight(1, Gen.constant("eyJ"))),
                23);
        Property.forAll(texts)
                .tries(50_000)
                .check(s -> assertThat(Redact.JWT.matcher(s).replaceAll("$1<jwt redacted>"))
                        .as(s)
                        .isEqualTo(PLAIN.matcher(s).replaceAll("<jwt redacted>")));
    }

    /**
     * 100 KB texts shaped to make the plain pattern backtrack: the new one reads each character a
     * bounded number of times. The plain pattern passes the budget within the first few thousand
     * characters of the first text (and would read ~10^9 in all).
     */
    @Test
    void linearOnAdversarialText() {
        String[] texts = {
            "eyJ".repeat(34_000),
            "a" + "eyJ".repeat(34_000) + ".",
            ("eyJ" + "a".repeat(1000) + ".").repeat(100),
            ("eyJa.eyJb" + "-".repeat(500) + " ").repeat(190),
            "x".repeat(100_000),
        };
        for (String t : texts) {
            CountedChars c = new CountedChars(t, 20L * t.length());
            Redact.JWT.matcher(c).replaceAll("$1<jwt redacted>");
            assertThat(c.reads()).isLessThanOrEqualTo(20L * t.length());
        }
    }
}
