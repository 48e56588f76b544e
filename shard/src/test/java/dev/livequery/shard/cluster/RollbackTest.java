package dev.livequery.shard.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.core.Row;
import dev.livequery.redis.store.RowStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The history rollback a new owner does on load, as a pure function. */
class RollbackTest {
    static ObjectNode obj(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static RowStore.Change put(long v, String id, long bv, String before, String after) {
        return new RowStore.Change(v + "-0", "t", id, v, bv, before == null ? null : obj(before), obj(after), 0);
    }

    static RowStore.Change del(long v, String id, long bv, String before) {
        return new RowStore.Change(v + "-0", "t", id, v, bv, obj(before), null, 0);
    }

    @Test
    void rollsBackToTheOldestContiguousChangeAndReplaysForward() {
        // Versions 3..5 retained; rows as of version 5: a (v5), c (v3). b was deleted at 4.
        RowStore.TableState now = new RowStore.TableState(
                "t", 5, List.of(new Row("a", 5, obj("{\"x\":2}")), new Row("c", 3, obj("{\"x\":9}"))));
        List<RowStore.Change> cs = List.of(
                put(3, "c", 0, null, "{\"x\":9}"),
                del(4, "b", 1, "{\"x\":7}"),
                put(5, "a", 2, "{\"x\":1}", "{\"x\":2}"));
        Rollback.Plan plan = Rollback.of(now, cs);
        assertThat(plan.base()).isEqualTo(2);
        assertThat(plan.rows())
                .extracting(Row::id, Row::version)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("a", 2L), org.assertj.core.groups.Tuple.tuple("b", 1L));
        assertThat(plan.replay()).extracting(RowStore.Change::version).containsExactly(3L, 4L, 5L);
    }

    @Test
    void stopsAtAGapSoItNeverInventsAState() {
        // Version 4 is missing (trimmed or lost): only 5 can be undone.
        RowStore.TableState now = new RowStore.TableState("t", 5, List.of(new Row("a", 5, obj("{\"x\":2}"))));
        List<RowStore.Change> cs = List.of(put(3, "z", 0, null, "{}"), put(5, "a", 2, "{\"x\":1}", "{\"x\":2}"));
        Rollback.Plan plan = Rollback.of(now, cs);
        assertThat(plan.base()).isEqualTo(4);
        assertThat(plan.rows()).extracting(Row::version).containsExactly(2L);
        assertThat(plan.replay()).extracting(RowStore.Change::version).containsExactly(5L);
    }

    @Test
    void nothingRetainedMeansNothingToUndo() {
        RowStore.TableState now = new RowStore.TableState("t", 7, List.of(new Row("a", 7, obj("{}"))));
        Rollback.Plan plan = Rollback.of(now, List.of());
        assertThat(plan.base()).isEqualTo(7);
        assertThat(plan.rows()).hasSize(1);
        assertThat(plan.replay()).isEmpty();
    }
}
