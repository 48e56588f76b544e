package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;

import java.math.BigDecimal;

/**
 * Cursor codec. A cursor is a position, not a row: the row's sort values and id, so it stays
 * meaningful after the row changes or goes away. It is signed with the shape's fingerprint, so
 * a cursor from another shape, or an edited one, is refused with {@code bad_query} instead of
 * quietly landing somewhere else.
 *
 * <p>Layout (base64url): a {@link Signer#seal sealed} ({@code CURSOR} domain) {@code 0x01, per sort
 * key a tag and value, id}.
 */
final class Cursors {
    private static final int VERSION = 1;
    private static final int MISSING = 0;
    private static final int NULL = 1;
    private static final int FALSE = 2;
    private static final int TRUE = 3;
    private static final int LONG = 4;
    private static final int DECIMAL = 5;
    private static final int STRING = 6;
    /** Sort values may be as large as a row (1 MiB bodies); transports apply their own, lower, caps. */
    static final int MAX_LENGTH = 4 * 1024 * 1024;

    private Cursors() {}

    static String encode(Signer signer, Shape shape, Key key) {
        Bytes.Writer w = new Bytes.Writer().u8(VERSION);
        for (Object v : key.values) {
            if (v == Values.MISSING) {
                w.u8(MISSING);
            } else if (v == Values.NULL) {
                w.u8(NULL);
            } else if (v instanceof Boolean b) {
                w.u8(b ? TRUE : FALSE);
            } else if (v instanceof Long l) {
                w.u8(LONG).varlong((l << 1) ^ (l >> 63));
            } else if (v instanceof BigDecimal d) {
                w.u8(DECIMAL).str(d.toString());
            } else {
                w.u8(STRING).str((String) v);
            }
        }
        w.str(key.id);
        return Bytes.B64.encodeToString(signer.seal(Signer.Domain.CURSOR, shape.fingerprint(), w.out.toByteArray()));
    }

    static Key decode(Signer signer, Shape shape, String cursor) throws LiveQueryException {
        if (cursor.length() > MAX_LENGTH) {
            throw bad("is longer than any cursor this server makes");
        }
        byte[] all;
        try {
            all = Bytes.B64D.decode(cursor);
        } catch (IllegalArgumentException e) {
            throw bad("is not a cursor (not base64url)");
        }
        if (all.length < Signer.OVERHEAD + 2 || !signer.open(Signer.Domain.CURSOR, shape.fingerprint(), all)) {
            throw bad("does not belong to this query's table, where and order (or was altered)");
        }
        try {
            Bytes.Reader r = new Bytes.Reader(all, 1, all.length - Signer.TAG);
            if (r.u8() != VERSION) {
                throw bad("has an unknown version");
            }
            Object[] values = new Object[shape.order.size()];
            for (int i = 0; i < values.length; i++) {
                int tag = r.u8();
                values[i] = switch (tag) {
                    case MISSING -> Values.MISSING;
                    case NULL -> Values.NULL;
                    case FALSE -> Boolean.FALSE;
                    case TRUE -> Boolean.TRUE;
                    case LONG -> {
                        long z = r.varlong();
                        yield (z >>> 1) ^ -(z & 1);
                    }
                    case DECIMAL -> Values.number(new BigDecimal(r.str()));
                    case STRING -> r.str();
                    default -> throw new Bytes.Malformed("tag");
                };
            }
            String id = r.str();
            if (!r.done()) {
                throw new Bytes.Malformed("trailing bytes");
            }
            return shape.order.key(values, id);
        } catch (Bytes.Malformed | NumberFormatException e) {
            throw bad("is malformed");
        }
    }

    private static LiveQueryException bad(String why) {
        return new LiveQueryException(BAD_QUERY, "cursor " + why + "; use a cursor taken from a frame of this query");
    }
}
