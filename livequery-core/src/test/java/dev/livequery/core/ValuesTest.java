package dev.livequery.core;

import static dev.livequery.core.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.livequery.testkit.Gen;
import dev.livequery.testkit.Property;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** PROTOCOL §1 "Value order": {@code missing < null < false < true < numbers < strings}. */
class ValuesTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    static Object v(String jsonText) {
        return Values.of(json(jsonText));
    }

    static int sign(int c) {
        return Integer.signum(c);
    }

    @Test
    void kindsAreTotallyOrderedMissingNullFalseTrueNumbersStrings() {
        List<Object> ascending = List.of(
                Values.MISSING,
                v("null"),
                v("false"),
                v("true"),
                v("-1e400"),
                v("-5"),
                v("0"),
                v("0.5"),
                v("1e400"),
                v("\"\""),
                v("\"0\""),
                v("\"a\""));
        for (int i = 0; i < ascending.size(); i++) {
            for (int j = 0; j < ascending.size(); j++) {
                assertThat(sign(Values.compare(ascending.get(i), ascending.get(j))))
                        .as("%s vs %s", ascending.get(i), ascending.get(j))
                        .isEqualTo(Integer.compare(i, j));
            }
        }
    }

    @Test
    void absentFieldIsMissingAndBelowNull() {
        assertThat(Values.of(null)).isSameAs(Values.MISSING);
        assertThat(Values.of(json("{}").get("nope"))).isSameAs(Values.MISSING);
        assertThat(Values.compare(Values.MISSING, v("null"))).isNegative();
        assertThat(Values.compare(v("null"), Values.MISSING)).isPositive();
    }

    @Test
    void stringNumberIsAStringNotANumber() {
        assertThat(Values.compare(v("\"1\""), v("2"))).isPositive();
        assertThat(Values.compare(v("\"1\""), v("1"))).isNotZero();
        assertThat(v("\"1\"")).isEqualTo("1");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "1|1.0",
                "1|1e0",
                "1.0|1e0",
                "1|1.000",
                "100|1e2",
                "100|1.00e2",
                "0.5|5e-1",
                "0.50|0.5",
                "-0|0",
                "-0.0|0",
                "0.0|0",
                "0e10|0",
                "-0e-5|0",
                "1e400|1e400",
                "1e400|10e399",
                "1e400|1.0e400",
                "10000000000000000000000|1e22",
                "9223372036854775807|9223372036854775807.0",
                "9223372036854775808|9223372036854775808.00",
                "-9223372036854775809|-9223372036854775809"
            })
    void numbersEqualAcrossSpellings(String a, String b) {
        Object x = v(a);
        Object y = v(b);
        assertThat(Values.compare(x, y)).as("%s vs %s", a, b).isZero();
        assertThat(Values.compare(y, x)).isZero();
        assertThat(x).isEqualTo(y);
        assertThat(x.hashCode()).isEqualTo(y.hashCode());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "9007199254740992|9007199254740993",
                "9007199254740992|9007199254740992.5",
                "9007199254740992.5|9007199254740993",
                "9223372036854775807|9223372036854775808",
                "9223372036854775806.5|9223372036854775807",
                "-9223372036854775809|-9223372036854775808",
                "99999999999999999999998|99999999999999999999999",
                "1e308|1e309",
                "1e399|1e400",
                "-1e400|-1e399",
                "1e-400|1e-399",
                "0|1e-400",
                "-1e-400|0",
                "0.1|0.10000000000000001",
                "1.9999999999999999|2",
                "-2|-1.5",
                "-1|0",
                "-0.5|-0.4"
            })
    void numbersCompareExactly(String lower, String higher) {
        Object lo = v(lower);
        Object hi = v(higher);
        assertThat(Values.compare(lo, hi)).as("%s < %s", lower, higher).isNegative();
        assertThat(Values.compare(hi, lo)).as("%s > %s", higher, lower).isPositive();
        assertThat(lo).isNotEqualTo(hi);
    }

    @Test
    void integersBeyondTwoPow53AreNotRoundedToDoubles() {
        Object a = v("9007199254740993");
        Object b = v("9007199254740992");
        Object c = v("9007199254740992.5");
        assertThat((double) 9007199254740993L).isEqualTo((double) 9007199254740992L); // what doubles would do
        assertThat(Values.compare(b, c)).isNegative();
        assertThat(Values.compare(c, a)).isNegative();
        assertThat(Values.compare(b, a)).isNegative();
        assertThat(a).isEqualTo(9007199254740993L);
        assertThat(c).isEqualTo(new BigDecimal("9007199254740992.5"));
    }

    @Test
    void hugeDecimalsStayExactAndAboveEveryLong() {
        Object huge = v("1e400");
        assertThat(huge).isEqualTo(new BigDecimal("1E+400"));
        assertThat(Values.compare(huge, Long.MAX_VALUE)).isPositive();
        assertThat(Values.compare(v("-1e400"), Long.MIN_VALUE)).isNegative();
        assertThat(Values.compare(huge, v("\"\""))).as("still below strings").isNegative();
        assertThat(Values.compare(v("1e-400"), 0L)).isPositive();
        assertThat(Values.compare(v("1e-400"), v("1e-401"))).isPositive();
    }

    @Test
    void negativeZeroIsZero() {
        for (String z : List.of("-0", "-0.0", "-0e0", "-0.000e-7")) {
            assertThat(v(z)).as(z).isEqualTo(0L);
            assertThat(Values.compare(v(z), v("0"))).as(z).isZero();
            assertThat(Values.compare(v(z), v("-1e-400"))).as(z).isPositive();
        }
    }

    @Test
    void integralNumbersNormalizeToLongAndOthersToStrippedBigDecimal() {
        assertThat(v("1.0")).isEqualTo(1L);
        assertThat(v("1e0")).isEqualTo(1L);
        assertThat(v("-12.500")).isEqualTo(new BigDecimal("-12.5"));
        assertThat(v("18446744073709551616")).isEqualTo(new BigDecimal("18446744073709551616").stripTrailingZeros());
        assertThat(Values.of(F.numberNode(new BigInteger("18446744073709551616"))))
                .isEqualTo(v("1.8446744073709551616e19"));
    }

    @Test
    void stringsCompareByCodePointNotUtf16() {
        String fffd = "\uFFFD";
        String grin = new String(Character.toChars(0x1F600));
        assertThat(fffd.compareTo(grin)).as("String.compareTo gets this wrong").isPositive();
        assertThat(Values.compare(fffd, grin)).as("U+FFFD < U+1F600").isNegative();
        assertThat(Values.compare(grin, fffd)).isPositive();
        assertThat(Values.compare(v("\"\\uFFFD\""), v("\"\\uD83D\\uDE00\""))).isNegative();
        assertThat(Values.compare("\uE000", grin)).isNegative();
        assertThat(Values.compare("a" + grin, "a\uFFFF")).isPositive();
        assertThat(Values.compare("\uD7FF", grin)).isNegative();
        assertThat(Values.compare(grin, new String(Character.toChars(0x1F601)))).isNegative();
        assertThat(Values.compare("ab", "abc")).isNegative();
        assertThat(Values.compare("B", "a")).as("no case folding").isNegative();
        assertThat(Values.compare("e\u0301", "\u00e9")).as("no normalization").isNegative();
        assertThat(Values.compare(grin, grin)).isZero();
    }

    @Test
    void objectsAndArraysBehaveAsMissing() {
        assertThat(v("{\"a\":1}")).isSameAs(Values.MISSING);
        assertThat(v("[1,2]")).isSameAs(Values.MISSING);
        assertThat(v("[]")).isSameAs(Values.MISSING);
        assertThat(Values.compare(v("{}"), Values.MISSING)).isZero();
        assertThat(Values.compare(v("[0]"), v("null"))).isNegative();
    }

    @Test
    void rangeKindTreatsFalseAndTrueAsOneKind() {
        assertThat(Values.kind(v("false"))).isEqualTo(Values.kind(v("true")));
        assertThat(Values.kind(v("1"))).isEqualTo(Values.kind(v("1e400")));
        assertThat(Values.kind(v("1"))).isNotEqualTo(Values.kind(v("\"1\"")));
        assertThat(Values.kind(v("null"))).isNotEqualTo(Values.kind(Values.MISSING));
    }

    // ---- properties ------------------------------------------------------------------------------

    static final Gen<JsonNode> SCALARS = scalars();

    static Gen<JsonNode> scalars() {
        Gen<JsonNode> longs = Gen.longs().map(F::numberNode);
        Gen<JsonNode> smallInts = Gen.ints(-3, 3).map(F::numberNode);
        Gen<JsonNode> bigInts = Gen.bigIntegers(
                        new BigInteger("-1" + "0".repeat(30)), new BigInteger("1" + "0".repeat(30)))
                .map(F::numberNode);
        Gen<BigInteger> unscaled = Gen.bigIntegers(BigInteger.valueOf(-100_000), BigInteger.valueOf(100_000));
        Gen<Integer> scale = Gen.ints(-420, 420);
        Gen<JsonNode> decimals = s -> DecimalNode.valueOf(new BigDecimal(unscaled.generate(s), scale.generate(s)));
        // code points around the UTF-16 pitfalls: U+E000 and U+FFFD sort above surrogates in UTF-16
        // order but below every supplementary code point
        int[] chars = "aAz0\u00e9\uFFFD\uE000".codePoints().toArray();
        Gen<Integer> bmp = Gen.frequency(
                Gen.weight(chars.length, Gen.ints(0, chars.length - 1).map(i -> chars[i])),
                Gen.weight(16, Gen.ints(0xD7F0, 0xD7FF)));
        Gen<JsonNode> strings = Gen.strings(bmp, 3).map(F::textNode);
        Gen<JsonNode> supplementary =
                Gen.ints(0x10000, 0x10FFFF).map(cp -> F.textNode(new String(Character.toChars(cp))));
        Gen<JsonNode> fixed = Gen.elements(
                F.nullNode(),
                F.booleanNode(true),
                F.booleanNode(false),
                F.missingNode(),
                F.objectNode(),
                F.arrayNode(),
                F.textNode(""));
        return Gen.oneOf(longs, smallInts, bigInts, decimals, strings, supplementary, fixed);
    }

    record Two(JsonNode a, JsonNode b) {}

    record Three(JsonNode a, JsonNode b, JsonNode c) {}

    /** A number and the same number with {@code pad} more trailing zeros. */
    record Spelling(BigInteger unscaled, int scale, int pad) {}

    static final Gen<Two> TWO = s -> new Two(SCALARS.generate(s), SCALARS.generate(s));

    /** An independent model of the order: kind rank, then exact decimal, then code point arrays. */
    static int model(JsonNode n, JsonNode m) {
        int ra = modelRank(n);
        int rb = modelRank(m);
        if (ra != rb) {
            return Integer.compare(ra, rb);
        }
        if (ra == 4) {
            return n.decimalValue().compareTo(m.decimalValue());
        }
        if (ra == 5) {
            return Integer.signum(Arrays.compare(
                    n.textValue().codePoints().toArray(),
                    m.textValue().codePoints().toArray()));
        }
        return 0;
    }

    static int modelRank(JsonNode n) {
        if (n.isMissingNode() || n.isContainerNode()) {
            return 0;
        }
        if (n.isNull()) {
            return 1;
        }
        if (n.isBoolean()) {
            return n.booleanValue() ? 3 : 2;
        }
        return n.isNumber() ? 4 : 5;
    }

    @Test
    void compareAgreesWithModelAndIsAntisymmetric() {
        Property.forAll(TWO).check(t -> {
            Object x = Values.of(t.a());
            Object y = Values.of(t.b());
            int c = sign(Values.compare(x, y));
            assertThat(c).as("%s vs %s", t.a(), t.b()).isEqualTo(sign(model(t.a(), t.b())));
            assertThat(sign(Values.compare(y, x))).isEqualTo(-c);
            assertThat(Values.compare(x, x)).isZero();
        });
    }

    @Test
    void compareIsTransitive() {
        Property.forAll(s -> new Three(SCALARS.generate(s), SCALARS.generate(s), SCALARS.generate(s)))
                .check(t -> transitive(t.a(), t.b(), t.c()));
    }

    private static void transitive(JsonNode a, JsonNode b, JsonNode c) {
        List<Object> xs = new ArrayList<>(List.of(Values.of(a), Values.of(b), Values.of(c)));
        xs.sort(Values.ORDER);
        assertThat(Values.compare(xs.get(0), xs.get(1))).isLessThanOrEqualTo(0);
        assertThat(Values.compare(xs.get(1), xs.get(2))).isLessThanOrEqualTo(0);
        assertThat(Values.compare(xs.get(0), xs.get(2))).as("%s", xs).isLessThanOrEqualTo(0);
        // every pair, both ways: a<=b && b<=c  =>  a<=c
        Object[] v = {Values.of(a), Values.of(b), Values.of(c)};
        for (Object p : v) {
            for (Object q : v) {
                for (Object r : v) {
                    if (Values.compare(p, q) <= 0 && Values.compare(q, r) <= 0) {
                        assertThat(Values.compare(p, r)).isLessThanOrEqualTo(0);
                    }
                }
            }
        }
    }

    @Test
    void compareIsConsistentWithEqualsAndHashCode() {
        Property.forAll(TWO).check(t -> {
            Object x = Values.of(t.a());
            Object y = Values.of(t.b());
            boolean same = Values.compare(x, y) == 0;
            assertThat(x.equals(y)).as("%s vs %s", t.a(), t.b()).isEqualTo(same);
            if (same) {
                assertThat(x.hashCode()).isEqualTo(y.hashCode());
            }
        });
    }

    @Test
    void equalNumbersInDifferentSpellingsNormalizeAlike() {
        Gen<BigInteger> unscaled =
                Gen.bigIntegers(new BigInteger("-1" + "0".repeat(25)), new BigInteger("1" + "0".repeat(25)));
        Gen<Integer> scales = Gen.ints(-30, 30);
        Gen<Integer> pads = Gen.ints(0, 12);
        Property.forAll(s -> new Spelling(unscaled.generate(s), scales.generate(s), pads.generate(s)))
                .check(sp -> sameNumber(sp.unscaled(), sp.scale(), sp.pad()));
    }

    private static void sameNumber(BigInteger unscaled, int scale, int pad) {
        BigDecimal d = new BigDecimal(unscaled, scale);
        BigDecimal padded = d.setScale(scale + pad); // same value, more trailing zeros
        Object x = Values.of(json(d.toString()));
        Object y = Values.of(json(padded.toPlainString().length() < 500 ? padded.toPlainString() : padded.toString()));
        Object z = Values.of(DecimalNode.valueOf(padded));
        assertThat(x).isEqualTo(y).isEqualTo(z);
        assertThat(x.hashCode()).isEqualTo(y.hashCode()).isEqualTo(z.hashCode());
        assertThat(Values.compare(x, y)).isZero();
    }
}
