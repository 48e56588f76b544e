package dev.livequery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicaTest {
    private static JsonNode f(String json) throws Exception {
        return Json.MAPPER.readTree(json);
    }

    private static List<String> ids(Replica r) {
        List<String> out = new ArrayList<>();
        r.items().forEach(i -> out.add(i.id()));
        return out;
    }

    @Test
    void splicesFramesInOrder() throws Exception {
        Replica r = new Replica(true);
        r.apply(f("{\"op\":\"reset\",\"cause\":\"subscribe\",\"epoch\":1}"), "e0");
        assertThat(r.apply(
                        f("{\"op\":\"enter\",\"id\":\"a\",\"version\":1,\"row\":{\"seq\":1},\"new_index\":0}"), "e1"))
                .isEqualTo(Replica.Applied.SNAPSHOT);
        r.apply(f("{\"op\":\"enter\",\"id\":\"b\",\"version\":1,\"row\":{\"seq\":2},\"new_index\":1}"), "e2");
        assertThat(r.apply(f("{\"op\":\"ready\",\"resumed\":false}"), "e3")).isEqualTo(Replica.Applied.READY);
        assertThat(r.apply(
                        f(
                                "{\"op\":\"move\",\"id\":\"b\",\"version\":2,\"row\":{\"seq\":3},\"old_index\":1,\"new_index\":0}"),
                        "e4"))
                .isEqualTo(Replica.Applied.CHANGE);
        assertThat(ids(r)).containsExactly("b", "a");
        r.apply(f("{\"op\":\"update\",\"id\":\"a\",\"version\":2,\"row\":{\"seq\":4},\"new_index\":1}"), "e5");
        r.apply(f("{\"op\":\"leave\",\"id\":\"b\",\"version\":3,\"old_index\":0}"), "e6");
        assertThat(ids(r)).containsExactly("a");
        assertThat(r.items().get(0).seq()).isEqualTo(4);
        assertThat(r.lastEid()).isEqualTo("e6");
        assertThat(r.broken()).isNull();
    }

    @Test
    void aFrameThatDoesNotFitBreaksTheReplica() throws Exception {
        Replica r = new Replica(false);
        r.apply(f("{\"op\":\"enter\",\"id\":\"a\",\"version\":1,\"row\":{},\"new_index\":0}"), null);
        r.apply(f("{\"op\":\"leave\",\"id\":\"zzz\",\"version\":1,\"old_index\":0}"), null);
        assertThat(r.broken()).contains("zzz");
        Replica s = new Replica(false);
        s.apply(f("{\"op\":\"leave\",\"id\":\"a\",\"version\":1,\"old_index\":3}"), null);
        assertThat(s.broken()).contains("index out of range");
    }
}
