package dev.livequery.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ReplicaTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A frame from JSON written with single quotes. */
    private static JsonNode f(String json) throws Exception {
        return MAPPER.readTree(json.replace('\'', '"'));
    }

    private static JsonNode row(String op, String id, long version, long seq, String indexes) throws Exception {
        return f("{'op':'" + op + "','id':'" + id + "','version':" + version + ",'row':{'id':'" + id + "','seq':" + seq
                + "},'cursor':'c'," + indexes + "}");
    }

    @Test
    void splicesFramesInOrder() throws Exception {
        Replica r = new Replica();
        assertThat(r.apply(f("{'op':'reset','cause':'subscribe','epoch':1}"), "e0"))
                .isEqualTo(Replica.Applied.CONTROL);
        assertThat(r.apply(row("enter", "a", 1, 1, "'new_index':0"), "e1")).isEqualTo(Replica.Applied.SNAPSHOT);
        r.apply(row("enter", "b", 1, 2, "'new_index':1"), "e2");
        assertThat(r.apply(f("{'op':'ready','resumed':false}"), "e3")).isEqualTo(Replica.Applied.READY);
        assertThat(r.apply(row("move", "b", 2, 3, "'old_index':1,'new_index':0"), "e4"))
                .isEqualTo(Replica.Applied.CHANGE);
        assertThat(r.ids()).containsExactly("b", "a");
        r.apply(row("update", "a", 2, 4, "'new_index':1"), "e5");
        r.apply(f("{'op':'leave','id':'b','version':3,'old_index':0,'eid':'e6'}"));
        assertThat(r.ids()).containsExactly("a");
        assertThat(r.rows().getFirst().path("seq").asLong()).isEqualTo(4);
        assertThat(r.lastEid()).isEqualTo("e6");
        assertThat(r.readies()).isEqualTo(1);
        assertThat(r.resetCauses()).containsExactly("subscribe");
        assertThat(r.violations()).isEmpty();
    }

    @Test
    void aTestReplicaThrowsOnAFrameThatDoesNotFitAndRecordsIt() throws Exception {
        Replica r = new Replica();
        r.apply(row("enter", "a", 1, 1, "'new_index':0"));
        assertThatThrownBy(() -> r.apply(f("{'op':'leave','id':'zzz','version':1,'old_index':0}")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("old_index 0 holds a");
        assertThatThrownBy(() -> r.apply(row("enter", "b", 1, 1, "'new_index':2")))
                .hasMessageContaining("new_index 2 outside [0,1]");
        assertThatThrownBy(() -> r.apply(row("enter", "a", 2, 1, "'new_index':0")))
                .hasMessageContaining("already holds");
        assertThatThrownBy(() -> r.apply(row("update", "a", 0, 1, "'new_index':0")))
                .hasMessageContaining("version 0 after version");
        assertThatThrownBy(() -> r.apply(f("{'op':'update','id':'a','version':3,'new_index':0,'cursor':'c'}")))
                .hasMessageContaining("without a row");
        assertThatThrownBy(() -> r.apply(row("move", "a", 3, 1, "'old_index':0,'new_index':1")))
                .hasMessageContaining("after the removal");
        assertThat(r.violations()).hasSize(6);
        assertThat(r.ids()).containsExactly("a");
    }

    @Test
    void anUnknownOpIsAViolationAndARejectedFrameLeavesNoVersionBehind() throws Exception {
        Replica r = new Replica();
        r.apply(row("enter", "a", 1, 1, "'new_index':0"));
        assertThatThrownBy(() -> r.apply(f("{'op':'upsert','id':'a'}"))).hasMessageContaining("unknown op 'upsert'");
        assertThatThrownBy(() -> r.apply(f("{'id':'a'}"))).hasMessageContaining("unknown op ''");
        assertThatThrownBy(() -> r.apply(row("update", "a", 9, 2, "'new_index':5")))
                .hasMessageContaining("new_index 5");
        r.apply(row("update", "a", 2, 2, "'new_index':0")); // fits: version 9 was never applied
        assertThat(r.versions()).containsEntry("a", 2L);
        r.apply(f("{'op':'pong'}"));
        r.apply(f("{'op':'error','code':'bad_query','message':'m'}"));
        r.apply(f("{'op':'closed','cause':'unsubscribed'}"));
        assertThat(r.violations()).hasSize(3);
    }

    @Test
    void aBrokenLeanReplicaKeepsOnlyItsFirstViolations() throws Exception {
        Replica r = Replica.lean(row -> row.path("seq"));
        for (int i = 0; i < 1000; i++) {
            r.apply(f("{'op':'leave','id':'x','version':1,'old_index':" + i + "}"));
        }
        assertThat(r.violations()).hasSize(Replica.MAX_VIOLATIONS);
        assertThat(r.broken()).contains("old_index 0 outside");
    }

    @Test
    void aLeanReplicaKeepsWhatItIsToldAndRecordsInsteadOfThrowing() throws Exception {
        Replica r = Replica.lean(row -> row.path("seq"));
        r.apply(row("enter", "a", 1, 7, "'new_index':0"));
        r.apply(f("{'op':'leave','id':'a','version':1,'old_index':3}"));
        assertThat(r.broken()).contains("old_index 3 outside [0,1)");
        assertThat(r.items())
                .containsExactly(
                        new Replica.Item("a", 1, MAPPER.getNodeFactory().numberNode(7)));
        assertThat(r.frames()).isEmpty();
    }

    @Test
    void aCopyIsAReconnectThatKeepsTheWindowAndTheLifetimeRecord() throws Exception {
        Replica r = new Replica();
        r.apply(f("{'op':'reset','cause':'subscribe','epoch':1}"));
        r.apply(row("enter", "a", 5, 1, "'new_index':0,'eid':'x1'"));
        r.apply(f("{'op':'ready','resumed':false}"));
        r.apply(f("{'op':'status','state':'stale'}"));
        assertThat(r.stale()).isTrue();
        Replica again = r.copy();
        assertThat(again.ids()).containsExactly("a");
        assertThat(again.lastEid()).isEqualTo("x1");
        assertThat(again.resetCauses()).containsExactly("subscribe");
        assertThat(again.frames()).isEmpty();
        assertThat(again.readies()).isZero();
        again.apply(f("{'op':'status','state':'live'}"));
        again.apply(f("{'op':'ready','resumed':true}"));
        assertThat(again.stale()).isFalse();
        assertThat(again.resumedReadies()).isEqualTo(1);
        assertThat(again.lastReadyResumed()).isTrue();
        assertThatThrownBy(() -> again.apply(row("update", "a", 4, 1, "'new_index':0")))
                .as("versions carry over: an older one after a resume is a stale replay")
                .hasMessageContaining("version 4 after version 5");
    }
}
