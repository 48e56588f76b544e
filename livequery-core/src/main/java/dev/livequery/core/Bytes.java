package dev.livequery.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Varint writer and reader for the compact binary inside cursors and tokens. */
final class Bytes {
    private Bytes() {}

    static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** Thrown for any malformed input; callers turn it into the protocol's answer. */
    static final class Malformed extends Exception {
        Malformed(String what) {
            super(what, null, false, false);
        }
    }

    static final class Writer {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

        Writer u8(int b) {
            out.write(b);
            return this;
        }

        Writer varlong(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Writer str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varlong(b.length);
            out.write(b, 0, b.length);
            return this;
        }

        Writer i32(int v) {
            for (int i = 24; i >= 0; i -= 8) {
                out.write(v >>> i);
            }
            return this;
        }
    }

    static final class Reader {
        final byte[] b;
        final int end;
        int pos;

        Reader(byte[] b, int end) {
            this(b, 0, end);
        }

        Reader(byte[] b, int start, int end) {
            this.b = b;
            this.pos = start;
            this.end = end;
        }

        boolean done() {
            return pos == end;
        }

        int u8() throws Malformed {
            if (pos >= end) {
                throw new Malformed("truncated");
            }
            return b[pos++] & 0xFF;
        }

        long varlong() throws Malformed {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int x = u8();
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new Malformed("varint too long");
        }

        int varint(int max) throws Malformed {
            long v = varlong();
            if (v < 0 || v > max) {
                throw new Malformed("value out of range");
            }
            return (int) v;
        }

        String str() throws Malformed {
            int n = varint(end - pos);
            String s = new String(b, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        int i32() throws Malformed {
            return (u8() << 24) | (u8() << 16) | (u8() << 8) | u8();
        }
    }
}
