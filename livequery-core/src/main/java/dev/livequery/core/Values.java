package dev.livequery.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Comparator;

/**
 * The total value order of PROTOCOL §1: {@code missing < null < false < true < numbers < strings}.
 *
 * <p>JSON values are normalized once, when a key or an operand is built, into a small set of
 * Java types so that comparison on the hot path is a rank check plus one typed compare:
 * {@link #MISSING}, {@link #NULL}, {@link Boolean}, {@link Long} (every integral number that fits),
 * {@link BigDecimal} (stripped of trailing zeros, so equal numbers are {@code equals} and hash
 * alike) and {@link String}. Objects and arrays normalize to {@link #MISSING}: they are stored but
 * not orderable.
 */
final class Values {
    /** A field that is absent, or holds an object or an array. */
    static final Object MISSING = new Object() {
        @Override
        public String toString() {
            return "<missing>";
        }
    };
    /** JSON {@code null}. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    static final Comparator<Object> ORDER = Values::compare;

    /**
     * The largest decimal exponent, either sign, of a number a client may write or query with:
     * the {@code N} of its scientific form {@code d.ddd…e±N} (also a zero's, as written).
     */
    static final int MAX_EXPONENT = 10_000;
    /** The message's tail for a number beyond {@link #MAX_EXPONENT}. */
    static final String OUT_OF_RANGE =
            "number out of range (a number's decimal exponent must be within ±" + MAX_EXPONENT + ")";

    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private Values() {}

    /** Normalizes a JSON value (null for an absent field) into the comparable form. */
    static Object of(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isContainerNode()) {
            return MISSING;
        }
        if (node.isNull()) {
            return NULL;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        if (node.isNumber()) {
            return number(node.isBigInteger() ? new BigDecimal(node.bigIntegerValue()) : node.decimalValue());
        }
        return MISSING; // binary/POJO nodes cannot come from JSON text
    }

    /** Whether d's decimal exponent is within {@link #MAX_EXPONENT}: O(1), no arithmetic on the scale. */
    static boolean inRange(BigDecimal d) {
        long e = (long) d.precision() - d.scale() - 1;
        return e >= -MAX_EXPONENT && e <= MAX_EXPONENT;
    }

    static Object number(BigDecimal d) {
        BigDecimal stripped = d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        if (stripped.scale() <= 0 && stripped.compareTo(LONG_MIN) >= 0 && stripped.compareTo(LONG_MAX) <= 0) {
            return stripped.longValueExact();
        }
        return stripped;
    }

    /** 0 missing, 1 null, 2 false, 3 true, 4 number, 5 string. */
    static int rank(Object v) {
        if (v == MISSING) {
            return 0;
        }
        if (v == NULL) {
            return 1;
        }
        if (v instanceof Boolean b) {
            return b ? 3 : 2;
        }
        if (v instanceof String) {
            return 5;
        }
        return 4;
    }

    /** The kind for range operators, where false and true are one kind (PROTOCOL §2). */
    static int kind(Object v) {
        int r = rank(v);
        return r == 3 ? 2 : r;
    }

    static int compare(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) {
            return Long.compare(x, y);
        }
        if (a instanceof String x && b instanceof String y) {
            return compareCodePoints(x, y);
        }
        int ra = rank(a);
        int rb = rank(b);
        if (ra != rb) {
            return Integer.compare(ra, rb);
        }
        if (ra == 4) {
            return decimal(a).compareTo(decimal(b));
        }
        return 0;
    }

    private static BigDecimal decimal(Object n) {
        return n instanceof Long l ? BigDecimal.valueOf(l) : (BigDecimal) n;
    }

    /**
     * Code-point order. {@link String#compareTo} orders UTF-16 units, which puts U+E000..U+FFFF
     * after supplementary characters; the fix-up below (as in ICU's compareCodePointOrder) moves
     * surrogates above the rest of the BMP only when they are the first difference.
     */
    static int compareCodePoints(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char ca = a.charAt(i);
            char cb = b.charAt(i);
            if (ca != cb) {
                if (ca >= 0xD800 && cb >= 0xD800) {
                    return Integer.compare(fixup(ca), fixup(cb));
                }
                return Character.compare(ca, cb);
            }
        }
        return Integer.compare(a.length(), b.length());
    }

    private static int fixup(char c) {
        return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof BigDecimal;
    }
}
