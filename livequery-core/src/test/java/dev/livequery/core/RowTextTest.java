package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link RowText} makes exactly the text Jackson's tree serialization ({@link Json#jackson}) makes:
 * frames carry it as the row, byte for byte (PROTOCOL §5).
 */
class RowTextTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** Characters that stress the escaping: controls, quote, backslash, DEL, Latin-1, BMP, surrogate pairs. */
    private static final String CHARS =
            "aZ0 \"\\/\u0000\u0001\b\t\n\u000b\f\r\u001f\u007f\u0080\u00e9\u00ff\u2028\u20ac\uffff\ud83d\ude00";

    @Test
    void randomTreesEncodeAsJacksonDoes() throws Exception {
        SplittableRandom rnd = new SplittableRandom(20261129L);
        for (int i = 0; i < 5000; i++) {
            ObjectNode row = object(rnd, 0);
            String expected = Json.jackson(row);
            assertThat(RowText.of(row)).as("tree %d", i).isEqualTo(expected);
            // the same tree as a client's body parses it (decimals as BigDecimal, ints as int/long)
            JsonNode parsed = Json.MAPPER.readTree(expected);
            assertThat(RowText.of(parsed)).as("parsed tree %d", i).isEqualTo(Json.jackson(parsed));
            // and as the engine stores it (RowFields, walked without iterators)
            ObjectNode stored = Rows.copy("r" + i, row);
            assertThat(RowText.of(stored)).as("stored tree %d", i).isEqualTo(Json.jackson(stored));
        }
    }

    @Test
    void numbersAndEdgeValues() throws Exception {
        for (String text : new String[] {
            "{}",
            "{\"a\":[]}",
            "{\"a\":{}}",
            "{\"n\":-0}",
            "{\"n\":-0.0}",
            "{\"n\":0.10}",
            "{\"n\":1e400}",
            "{\"n\":-1.5E-7}",
            "{\"n\":123456789012345678901234567890}",
            "{\"n\":9223372036854775807,\"m\":-9223372036854775808,\"k\":2147483648}",
            "{\"s\":\"\\u0000\\u001f\\\"\\\\\\/\\u2028\\ud83d\\ude00\"}",
            "{\"\\n\\\"\":null,\"b\":true,\"c\":false}"
        }) {
            JsonNode n = Json.MAPPER.readTree(text);
            assertThat(RowText.of(n)).as(text).isEqualTo(Json.jackson(n));
        }
    }

    @Test
    void kindsJacksonAloneEncodesAreHandedToIt() {
        ObjectNode row = F.objectNode().put("id", "x").put("d", 0.1).put("f", 1.5f);
        row.putPOJO("p", new StringBuilder("pojo"));
        row.put("bin", new byte[] {1, 2, 3});
        row.put("s", (short) 7);
        assertThat(RowText.of(row)).isEqualTo(Json.jackson(row));
    }

    @Test
    void aLongRowIsEncodedWhole() {
        ObjectNode row = F.objectNode().put("id", "big");
        row.put("text", "x\"".repeat(20_000));
        assertThat(RowText.of(row)).isEqualTo(Json.jackson(row));
        ObjectNode small = F.objectNode().put("id", "small");
        assertThat(RowText.of(small)).isEqualTo("{\"id\":\"small\"}");
    }

    private static ObjectNode object(SplittableRandom rnd, int depth) {
        ObjectNode o = F.objectNode();
        int n = rnd.nextInt(depth == 0 ? 8 : 4);
        for (int i = 0; i < n; i++) {
            String key = string(rnd);
            JsonNode v = value(rnd, depth);
            o.set(key, v);
        }
        return o;
    }

    private static JsonNode value(SplittableRandom rnd, int depth) {
        switch (rnd.nextInt(depth < 3 ? 11 : 9)) {
            case 0:
                return F.textNode(string(rnd));
            case 1:
                return F.numberNode(rnd.nextInt());
            case 2:
                return F.numberNode(rnd.nextLong());
            case 3:
                return F.numberNode(BigInteger.valueOf(rnd.nextLong()).shiftLeft(rnd.nextInt(80)));
            case 4:
                return F.numberNode(BigDecimal.valueOf(rnd.nextLong(), rnd.nextInt(-40, 40)));
            case 5:
                return F.booleanNode(rnd.nextBoolean());
            case 6:
                return F.nullNode();
            case 7:
                return F.numberNode(rnd.nextInt(-1000, 1000));
            case 8:
                return F.textNode("");
            case 9:
                ArrayNode a = F.arrayNode();
                for (int i = rnd.nextInt(4); i > 0; i--) {
                    a.add(value(rnd, depth + 1));
                }
                return a;
            default:
                return object(rnd, depth + 1);
        }
    }

    private static String string(SplittableRandom rnd) {
        StringBuilder b = new StringBuilder();
        for (int i = rnd.nextInt(12); i > 0; i--) {
            int at = rnd.nextInt(CHARS.length());
            char c = CHARS.charAt(at);
            if (Character.isHighSurrogate(c)) {
                b.append(c).append(CHARS.charAt(at + 1));
            } else if (!Character.isLowSurrogate(c)) {
                b.append(c);
            }
        }
        return b.toString();
    }
}
