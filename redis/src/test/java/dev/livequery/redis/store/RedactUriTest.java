package dev.livequery.redis.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.testkit.CountedChars;
import dev.livequery.testkit.Gen;
import dev.livequery.testkit.Property;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@link Redis#redact}: it hides what the plain pattern did, and its work is linear in the text
 * (the gateway's log filter runs it over every line, headers included), counted in characters
 * read rather than timed.
 */
class RedactUriTest {
    /** The pattern before: quadratic on a long run of letters. The reference for what to redact. */
    private static final Pattern PLAIN = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\\s]*@");

    @Test
    void hidesUserInfo() {
        assertThat(Redis.redact("redis://app:s3cret@h:6379")).isEqualTo("redis://<redacted>@h:6379");
        assertThat(Redis.redact("uri 1.redis-cluster://:pw@h1:7000,h2:7001"))
                .isEqualTo("uri 1.redis-cluster://<redacted>@h1:7000,h2:7001");
        assertThat(Redis.redact("http://h/a@b")).isEqualTo("http://h/a@b");
    }

    @Test
    void hidesExactlyWhatThePlainPatternDid() {
        Gen<String> texts = Gen.joined(
                Gen.frequency(Gen.weight(4, Gen.elements("ab1+.-:/@ x".split(""))), Gen.weight(1, Gen.constant("://"))),
                23);
        Property.forAll(texts)
                .tries(50_000)
                .check(s -> assertThat(Redis.USERINFO.matcher(s).replaceAll("$1<redacted>@"))
                        .as(s)
                        .isEqualTo(PLAIN.matcher(s).replaceAll("$1<redacted>@")));
    }

    /** 100 KB texts shaped to make the plain pattern backtrack; it passes the budget at once. */
    @Test
    void linearOnAdversarialText() {
        String[] texts = {
            "a".repeat(100_000),
            "a://" + "b".repeat(100_000),
            "a://" + "b:".repeat(50_000),
            "1-".repeat(50_000) + "a",
            ("ab://" + "c".repeat(1000) + "/").repeat(100),
        };
        for (String t : texts) {
            CountedChars c = new CountedChars(t, 20L * t.length());
            Redis.USERINFO.matcher(c).replaceAll("$1<redacted>@");
            assertThat(c.reads()).isLessThanOrEqualTo(20L * t.length());
        }
    }
}
