package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link RowFields} behaves as the {@code LinkedHashMap} it replaces, under an ObjectNode too. */
class RowFieldsTest {
    @Test
    void randomOperationsMatchALinkedHashMap() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int run = 0; run < 200; run++) {
            RowFields mine = new RowFields(rnd.nextInt(1, 4));
            Map<String, JsonNode> ref = new LinkedHashMap<>();
            for (int op = 0; op < 100; op++) {
                // new String: names equal but not the same object, as a parsed query's are
                String k = new String("f" + rnd.nextInt(10));
                JsonNode v = IntNode.valueOf(rnd.nextInt(100));
                switch (rnd.nextInt(5)) {
                    case 0, 1 -> assertThat(mine.put(k, v)).isEqualTo(ref.put(k, v));
                    case 2 -> assertThat(mine.remove(k)).isEqualTo(ref.remove(k));
                    case 3 -> {
                        Iterator<Map.Entry<String, JsonNode>> it =
                                mine.entrySet().iterator();
                        Iterator<Map.Entry<String, JsonNode>> rit =
                                ref.entrySet().iterator();
                        while (it.hasNext()) {
                            Map.Entry<String, JsonNode> e = it.next();
                            assertThat(e).isEqualTo(rit.next());
                            if (e.getKey().equals(k)) {
                                it.remove();
                                rit.remove();
                            }
                        }
                    }
                    default -> {
                        assertThat(mine.get(k)).isEqualTo(ref.get(k));
                        assertThat(mine.containsKey(k)).isEqualTo(ref.containsKey(k));
                    }
                }
                assertThat(keys(mine)).isEqualTo(keys(ref));
                assertThat(mine).isEqualTo(ref);
                assertThat(mine.hashCode()).isEqualTo(ref.hashCode());
            }
        }
    }

    @Test
    void anObjectNodeOverItEqualsAndEncodesAsJacksonsOwn() throws Exception {
        ObjectNode jackson =
                (ObjectNode) Json.MAPPER.readTree("{\"id\":\"a\",\"n\":1,\"s\":\"x\",\"o\":{\"p\":[1,2]}}");
        ObjectNode copy = Rows.copy("a", jackson);
        assertThat(copy).isEqualTo(jackson);
        assertThat(jackson).isEqualTo(copy);
        assertThat(copy.hashCode()).isEqualTo(jackson.hashCode());
        assertThat(Json.text(copy)).isEqualTo(Json.text(jackson));
        assertThat(copy.get("o").get("p").get(1).intValue()).isEqualTo(2);
        // a copy is private: changing the caller's node leaves it alone
        ((ObjectNode) jackson.get("o")).put("q", 3);
        assertThat(copy.get("o").has("q")).isFalse();
        ObjectNode noId = JsonNodeFactory.instance.objectNode().put("n", 1);
        assertThat(Json.text(Rows.copy("b", noId))).isEqualTo("{\"id\":\"b\",\"n\":1}");
    }

    @Test
    void copiesWithTheSameNamesStayIndependent() throws Exception {
        ObjectNode body = (ObjectNode) Json.MAPPER.readTree("{\"a\":1,\"b\":2,\"c\":3}");
        ObjectNode one = Rows.copy("x", body);
        ObjectNode two = Rows.copy("y", body);
        ObjectNode other = Rows.copy("z", (ObjectNode) Json.MAPPER.readTree("{\"a\":1,\"q\":2,\"c\":3}"));
        two.remove("b");
        two.put("d", 4);
        one.put("a", 9);
        assertThat(Json.text(one)).isEqualTo("{\"id\":\"x\",\"a\":9,\"b\":2,\"c\":3}");
        assertThat(Json.text(two)).isEqualTo("{\"id\":\"y\",\"a\":1,\"c\":3,\"d\":4}");
        assertThat(Json.text(other)).isEqualTo("{\"id\":\"z\",\"a\":1,\"q\":2,\"c\":3}");
        ObjectNode three = Rows.copy("w", body);
        three.removeAll();
        assertThat(Json.text(three)).isEqualTo("{}");
        assertThat(Json.text(Rows.copy("v", body))).isEqualTo("{\"id\":\"v\",\"a\":1,\"b\":2,\"c\":3}");
        assertThat(RowText.of(Rows.copy("u", body))).isEqualTo("{\"id\":\"u\",\"a\":1,\"b\":2,\"c\":3}");
    }

    private static List<String> keys(Map<String, JsonNode> m) {
        return new ArrayList<>(m.keySet());
    }
}
