package dev.livequery.core;

/**
 * A row's position in one shape's order: its sort values (normalized by {@link Values}) and its
 * id, the final tiebreak. Keys are owned by one view, so the cursor string encoded from a key is
 * cached here and shared by every frame and subscriber that names the position.
 *
 * <p>{@link #prefix} is a monotone summary of the leading sort values and the id, directions
 * included: when two keys' prefixes differ they decide the comparison as one {@code long}
 * compare, with no pointer chasing into boxed values; only equal prefixes compare the values
 * themselves. Made by {@link Order#key}.
 */
final class Key {
    final Object[] values;
    final String id;
    final long prefix;
    private volatile String cursor;

    Key(Object[] values, String id, long prefix) {
        this.values = values;
        this.id = id;
        this.prefix = prefix;
    }

    String cursor(Tokens codec) {
        String c = cursor;
        if (c == null) {
            c = Cursors.encode(codec.signer, codec.shape, this);
            cursor = c;
        }
        return c;
    }

    // ---- the prefix ----------------------------------------------------------------------------
    //
    // A 63-bit string, compared as a non-negative long, built field by field: per field a 3-bit
    // rank (Values.rank) and a payload, bits inverted for a descending field, then the id. A
    // field's code is monotone in the value order; the next field is appended only when that code
    // is exact (no other value has it), so the concatenation stays monotone in the whole order.
    // Ranks without payload are exact; integers in [-2^25, 2^25) have exact odd codes and other
    // numbers the even code between their neighbours; strings are never exact (they take all bits
    // left). Rows tied on a truncated field are compared in full, which stays correct, only slower.

    private static final int BITS = 63;
    private static final int NUMBER_BITS = 28;
    private static final long SMALL = 1L << 25;
    private static final java.math.BigDecimal SMALL_LO = java.math.BigDecimal.valueOf(-SMALL);
    private static final java.math.BigDecimal SMALL_HI = java.math.BigDecimal.valueOf(SMALL);

    /** The prefix of a key of an order with these directions (values[i] normalized by {@link Values}). */
    static long prefix(Object[] values, boolean[] desc, String id) {
        long p = 0;
        int left = BITS;
        boolean exact = true;
        int i = 0;
        for (; i < values.length && exact && left >= 3; i++) {
            Object v = values[i];
            int rank = Values.rank(v);
            int w;
            long code;
            if (rank == 4) {
                w = Math.min(NUMBER_BITS, left - 3);
                long c = number(v);
                exact = (c & 1) == 1 && w == NUMBER_BITS;
                code = c >>> (NUMBER_BITS - w);
            } else if (rank == 5) {
                w = left - 3;
                code = chars((String) v, w);
                exact = false;
            } else {
                w = 0;
                code = 0;
            }
            long field = ((long) rank << w) | code;
            if (desc[i]) {
                field = ((1L << (w + 3)) - 1) - field;
            }
            p = (p << (w + 3)) | field;
            left -= w + 3;
        }
        if (exact && i == values.length && left > 0) {
            p = (p << left) | chars(id, left);
            left = 0;
        }
        return p << left;
    }

    /** Odd codes for integers in [-2^25, 2^25), the even code between for numbers in between, ends clamped. */
    private static long number(Object v) {
        if (v instanceof Long l) {
            if (l < -SMALL) {
                return 0;
            }
            return l >= SMALL ? 4 * SMALL : 2 * (l + SMALL) + 1;
        }
        java.math.BigDecimal d = (java.math.BigDecimal) v; // not integral within long range: Values.number
        if (d.compareTo(SMALL_LO) < 0) {
            return 0;
        }
        if (d.compareTo(SMALL_HI) >= 0) {
            return 4 * SMALL;
        }
        if (d.precision() - d.scale() <= 0) {
            // |d| < 1: the floor is 0 or -1. setScale would divide by 10^scale, and a number like
            // 1e-999999999 (a few bytes of JSON) has a scale of a billion: minutes under the lock.
            return 2 * ((d.signum() < 0 ? -1 : 0) + SMALL) + 2;
        }
        // 1 <= |d| < 2^25: the scale is below the precision, which JSON bounds (Json: 1000 digits)
        return 2 * (d.setScale(0, java.math.RoundingMode.FLOOR).longValue() + SMALL) + 2;
    }

    /**
     * The first {@code bits} bits of the string's UTF-16 units, each shifted as
     * {@link Values#compareCodePoints} does so that they compare in code-point order (a bijection
     * on units), padded with zeros: monotone.
     */
    static long chars(String s, int bits) {
        if (bits == 0) {
            return 0;
        }
        long u = 0;
        for (int i = 0; i < 4; i++) {
            u <<= 16;
            if (i < s.length()) {
                char c = s.charAt(i);
                u |= c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
            }
        }
        return u >>> (64 - bits);
    }
}
