package dev.livequery.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A row's JSON text, character for character what {@link Json#jackson} (Jackson's tree
 * serialization with {@link Json#MAPPER}) makes, without Jackson's per-call objects.
 *
 * <p>Why: every write encodes its row once (size check, history, every frame's {@code row}), and
 * Jackson's {@code writeValueAsString} allocates a serializer provider, a generator, its contexts
 * and a writer per call, about as many bytes as the text itself. Here the only allocation is the
 * text: the buffer comes from a small lock-free pool (no per-thread buffers: writes run on
 * virtual threads).
 *
 * <p>Only the node kinds JSON text parses into are encoded here (objects, arrays, strings, ints,
 * longs, big integers, decimals, booleans, null); a tree holding any other kind (a double put by a
 * Java caller, a POJO, binary) is handed to Jackson whole. {@code RowTextTest} checks the two
 * agree on seeded random trees, escapes and numbers included: the text is what frames carry.
 */
final class RowText {
    private RowText() {}

    private static final int SLOTS = 8;
    /** Buffers kept for reuse at most this large; a bigger row's buffer is left to the collector. */
    private static final int KEEP = 16 * 1024;

    private static final AtomicReferenceArray<StringBuilder> POOL = new AtomicReferenceArray<>(SLOTS);
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** {@code Json.jackson(node)}, made without Jackson's per-call objects. */
    static String of(JsonNode node) {
        int slot = (int) (Thread.currentThread().threadId() & (SLOTS - 1));
        StringBuilder b = POOL.getAndSet(slot, null);
        if (b == null) {
            b = new StringBuilder(256);
        }
        b.setLength(0);
        String out = write(node, b) ? b.toString() : Json.jackson(node);
        if (b.capacity() <= KEEP) {
            POOL.set(slot, b);
        }
        return out;
    }

    /** Appends the node's text; false when it holds a kind this class leaves to Jackson. */
    private static boolean write(JsonNode n, StringBuilder b) {
        Class<?> c = n.getClass();
        if (c == RowFields.Node.class) {
            RowFields f = ((RowFields.Node) n).fields;
            b.append('{');
            for (int i = 0, size = f.size(); i < size; i++) {
                if (i > 0) {
                    b.append(',');
                }
                string(f.name(i), b);
                b.append(':');
                if (!write(f.value(i), b)) {
                    return false;
                }
            }
            b.append('}');
        } else if (c == ObjectNode.class) {
            b.append('{');
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!first) {
                    b.append(',');
                }
                first = false;
                string(e.getKey(), b);
                b.append(':');
                if (!write(e.getValue(), b)) {
                    return false;
                }
            }
            b.append('}');
        } else if (c == TextNode.class) {
            string(n.textValue(), b);
        } else if (c == IntNode.class) {
            b.append(n.intValue());
        } else if (c == LongNode.class) {
            b.append(n.longValue());
        } else if (c == BooleanNode.class) {
            b.append(n.booleanValue());
        } else if (c == NullNode.class) {
            b.append("null");
        } else if (c == DecimalNode.class) {
            b.append(n.decimalValue().toString());
        } else if (c == BigIntegerNode.class) {
            b.append(n.bigIntegerValue().toString());
        } else if (c == ArrayNode.class) {
            b.append('[');
            for (int i = 0, size = n.size(); i < size; i++) {
                if (i > 0) {
                    b.append(',');
                }
                if (!write(n.get(i), b)) {
                    return false;
                }
            }
            b.append(']');
        } else {
            return false;
        }
        return true;
    }

    /** A quoted string escaped as Jackson's default escapes do: {@code " \} and controls only. */
    private static void string(String s, StringBuilder b) {
        b.append('"');
        int from = 0;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            b.append(s, from, i);
            from = i + 1;
            b.append('\\');
            switch (c) {
                case '"' -> b.append('"');
                case '\\' -> b.append('\\');
                case '\b' -> b.append('b');
                case '\t' -> b.append('t');
                case '\f' -> b.append('f');
                case '\n' -> b.append('n');
                case '\r' -> b.append('r');
                default -> b.append("u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        b.append(s, from, s.length()).append('"');
    }
}
