package dev.livequery.core;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A frame's JSON (without {@code sub}) written straight to bytes, the same bytes as
 * {@link FrameCodec}'s Jackson generator writes, for the frames that need no escaping: every
 * string member printable ASCII without {@code "} or {@code \}, and a row without surrogates.
 * Anything else returns null and is left to Jackson, so an escape is never decided here.
 *
 * <p>Why: every delivered frame is encoded once, and Jackson's generator costs its own objects
 * (generator, contexts, an output block copied at the end) about as many bytes as the frame.
 * Here the buffer comes from a small lock-free pool and the only allocation is the result.
 * {@code FrameBytesTest} checks both encoders agree.
 */
final class FrameBytes {
    private FrameBytes() {}

    private static final int SLOTS = 8;
    private static final int KEEP = 64 * 1024;
    private static final AtomicReferenceArray<Out> POOL = new AtomicReferenceArray<>(SLOTS);

    /** A growable byte buffer. */
    private static final class Out {
        byte[] a = new byte[512];
        int n;

        void put(int b) {
            if (n == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            a[n++] = (byte) b;
        }

        void ascii(String s) {
            for (int i = 0, len = s.length(); i < len; i++) {
                put(s.charAt(i));
            }
        }
    }

    /** The frame's bytes, or null when Jackson must encode it. */
    static byte[] encode(Frame f) {
        int slot = (int) (Thread.currentThread().threadId() & (SLOTS - 1));
        Out o = POOL.getAndSet(slot, null);
        if (o == null) {
            o = new Out();
        }
        o.n = 0;
        byte[] out = write(f, o) ? Arrays.copyOf(o.a, o.n) : null;
        if (o.a.length <= KEEP) {
            POOL.set(slot, o);
        }
        return out;
    }

    // Members in the order FrameCodec's generator writes them.
    private static boolean write(Frame f, Out o) {
        o.ascii("{\"op\":");
        if (!str(f.op().wire(), o)) {
            return false;
        }
        String eid = f.eid();
        if (eid != null && !(name("eid", o) && str(eid, o))) {
            return false;
        }
        boolean ok = switch (f) {
            case Frame.Reset r -> name("cause", o) && str(r.cause(), o) && name("epoch", o) && num(r.epoch(), o);
            case Frame.Placed p -> {
                boolean head = name("id", o) && str(p.id(), o) && name("version", o) && num(p.version(), o);
                if (head && p instanceof Frame.Move m) {
                    head = name("old_index", o) && num(m.oldIndex(), o);
                }
                yield head
                        && name("new_index", o)
                        && num(p.newIndex(), o)
                        && name("cursor", o)
                        && str(p.cursor(), o)
                        && name("row", o)
                        && raw(p.row().json(), o);
            }
            case Frame.Leave l ->
                name("id", o)
                        && str(l.id(), o)
                        && name("version", o)
                        && num(l.version(), o)
                        && name("old_index", o)
                        && num(l.oldIndex(), o);
            case Frame.Ready r ->
                name("has_more_before", o)
                        && bool(r.hasMoreBefore(), o)
                        && name("has_more_after", o)
                        && bool(r.hasMoreAfter(), o)
                        && name("resumed", o)
                        && bool(r.resumed(), o);
            case Frame.Error x ->
                name("code", o) && str(x.code().wire(), o) && name("message", o) && str(x.message(), o);
            case Frame.Closed c -> name("cause", o) && str(c.cause().wire(), o);
            case Frame.Status s -> name("state", o) && str(s.state().wire(), o);
            case Frame.Pong p -> true;
        };
        if (!ok) {
            return false;
        }
        o.put('}');
        return true;
    }

    /** {@code ,"name":} (every member but op follows another). */
    private static boolean name(String name, Out o) {
        o.put(',');
        o.put('"');
        o.ascii(name);
        o.put('"');
        o.put(':');
        return true;
    }

    /** A string that needs no escape, quoted; {@code null} as Jackson writes a null string; false otherwise. */
    private static boolean str(String s, Out o) {
        if (s == null) {
            o.ascii("null");
            return true;
        }
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
                return false;
            }
        }
        o.put('"');
        o.ascii(s);
        o.put('"');
        return true;
    }

    private static boolean num(long v, Out o) {
        if (v == Long.MIN_VALUE) {
            o.ascii(Long.toString(v));
            return true;
        }
        if (v < 0) {
            o.put('-');
            v = -v;
        }
        long div = 1;
        while (div <= v / 10) {
            div *= 10;
        }
        for (; div > 0; div /= 10) {
            o.put((int) ('0' + (v / div) % 10));
        }
        return true;
    }

    private static boolean bool(boolean v, Out o) {
        o.ascii(v ? "true" : "false");
        return true;
    }

    /** The row's text as UTF-8; false for a surrogate (Jackson decides about pairs and strays). */
    private static boolean raw(String s, Out o) {
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                o.put(c);
            } else if (c < 0x800) {
                o.put(0xC0 | (c >> 6));
                o.put(0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                return false;
            } else {
                o.put(0xE0 | (c >> 12));
                o.put(0x80 | ((c >> 6) & 0x3F));
                o.put(0x80 | (c & 0x3F));
            }
        }
        return true;
    }
}
