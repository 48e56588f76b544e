package dev.livequery.core;

/**
 * A row's position in one shape's order: its sort values (normalized by {@link Values}) and its
 * id, the final tiebreak. Keys are owned by one view, so the cursor string encoded from a key is
 * cached here and shared by every frame and subscriber that names the position.
 *
 * <p>{@link #prefix} is a monotone summary of the first sort value (of the id when the order has
 * no keys), direction included: when two keys' prefixes differ they decide the comparison as one
 * {@code long} compare, with no pointer chasing into boxed values; only equal prefixes compare
 * the values themselves. Made by {@link Order#key}.
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

    /** The prefix of a first component (a normalized value, or the id): monotone in {@link Values#compare}. */
    static long prefix(Object v) {
        int rank = Values.rank(v);
        long payload = 0;
        if (rank == 4) {
            double d = v instanceof Long l ? (double) l : ((java.math.BigDecimal) v).doubleValue();
            // Rounding to the nearest double is monotone, and so is this map of doubles to ordered
            // bits and the truncation below; equal doubles of unequal numbers tie and are compared exactly.
            long bits = Double.doubleToLongBits(d);
            payload = (bits ^ ((bits >> 63) | Long.MIN_VALUE)) >>> 6;
        } else if (rank == 5) {
            payload = chars((String) v);
        }
        return ((long) rank << 58) | payload;
    }

    /**
     * The first three UTF-16 units, shifted as {@link Values#compareCodePoints} does so that they
     * compare in code-point order (a bijection on units), padded with zeros: monotone.
     */
    static long chars(String s) {
        long p = 0;
        for (int i = 0; i < 3; i++) {
            p <<= 16;
            if (i < s.length()) {
                char c = s.charAt(i);
                p |= c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
            }
        }
        return p;
    }
}
