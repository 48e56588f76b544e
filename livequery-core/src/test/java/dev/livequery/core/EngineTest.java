package dev.livequery.core;

import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Engine} on its own, fed with changes numbered elsewhere, as a shard feeds it from a
 * partition's change stream: replays are ignored, a restore resets live windows with its cause,
 * and windows come and go with their subscriptions.
 */
class EngineTest {
    private final Engine engine = new Engine(EngineOptions.defaults());
    private final Query byN = query("{'table':'t','order':[{'field':'n'}],'limit':10}");

    EngineTest() throws LiveQueryException {}

    @Test
    void aReplayedChangeIsIgnored() throws Exception {
        Subscription s = engine.subscribe(byN, null, () -> {});
        drain(s);
        assertThat(engine.ingest("t", "a", obj("{'n':1}"), 5)).isTrue();
        assertThat(engine.ingest("t", "a", obj("{'n':9}"), 5))
                .as("same version again")
                .isFalse();
        assertThat(engine.ingest("t", "b", obj("{'n':2}"), 4))
                .as("an older version")
                .isFalse();
        assertThat(d(drain(s))).containsExactly("enter a@0");
        assertThat(engine.lastChange("t")).isEqualTo(5);
        assertThat(engine.query(byN).rows()).extracting(Row::version).containsExactly(5L);
    }

    @Test
    void aRestoreResetsLiveWindowsWithItsCause() throws Exception {
        engine.ingest("t", "a", obj("{'n':1}"), 1);
        Subscription s = engine.subscribe(byN, null, () -> {});
        String eid = drain(s).getLast().eid();
        engine.restore("t", List.of(new Row("b", 7, obj("{'id':'b','n':2}"))), 7, "failover");
        assertThat(d(drain(s))).containsExactly("reset failover", "enter b@0", "ready before=false after=false");
        assertThat(engine.lastChange("t")).isEqualTo(7);
        // the history before the restore is gone: a token from then no longer resumes
        assertThat(d(drain(engine.subscribe(byN, eid, () -> {})))).first().isEqualTo("reset resume_miss");
    }

    @Test
    void aClosedSubscriptionLeavesItsViewAndAnUnwrittenTable() throws Exception {
        Subscription s = engine.subscribe(byN, null, () -> {});
        assertThat(engine.gauges())
                .containsEntry("views", 1L)
                .containsEntry("subscriptions", 1L)
                .containsEntry("tables", 1L);
        s.close();
        assertThat(engine.gauges())
                .containsEntry("views", 0L)
                .containsEntry("subscriptions", 0L)
                .containsEntry("tables", 0L);
        assertThat(engine.lastChange("t")).isZero();
    }

    /**
     * {@code max-view-rows} bounds the entries all views hold together, across tables: a view that
     * would pass it is refused, views grown past it by writes stay, no new view (nor a one-shot
     * scan) comes while it is passed, and the count follows every change, restore and release.
     */
    @Test
    void viewEntriesAreBudgetedAcrossTables() throws Exception {
        Engine e = new Engine(EngineOptions.builder().maxViewRows(10).build());
        for (int i = 0; i < 6; i++) {
            e.ingest("a", "r" + i, obj("{'n':" + i + "}"), i + 1);
            e.ingest("b", "r" + i, obj("{'n':" + i + "}"), i + 1);
        }
        Subscription a = e.subscribe(query("{'table':'a','limit':10}"), null, () -> {});
        assertThat(e.gauges()).containsEntry("view_rows", 6L);
        LiveQueryException refused = Fixtures.fails(
                LiveQueryException.Code.TOO_MANY_SUBS,
                () -> e.subscribe(query("{'table':'b','limit':10}"), null, () -> {}));
        assertThat(refused.getMessage()).contains("livequery.limits.max-view-rows", "would add 6");
        Fixtures.fails(LiveQueryException.Code.TOO_MANY_SUBS, () -> e.query(query("{'table':'b','limit':1}")));
        Subscription small = e.subscribe(query("{'table':'b','where':{'n':{'lt':3}},'limit':10}"), null, () -> {});
        assertThat(e.gauges()).containsEntry("view_rows", 9L);
        // writes: an update in place, a row leaving one view, a delete, two inserts
        e.ingest("b", "r0", obj("{'n':0,'x':1}"), 7);
        e.ingest("b", "r1", obj("{'n':5}"), 8);
        e.ingest("a", "r5", null, 7);
        e.ingest("a", "r6", obj("{'n':6}"), 8);
        e.ingest("a", "r7", obj("{'n':7}"), 9);
        assertThat(e.gauges()).containsEntry("view_rows", 7L + 2L);
        e.ingest("a", "r8", obj("{'n':8}"), 10);
        e.ingest("a", "r9", obj("{'n':9}"), 11);
        assertThat(e.gauges()).as("grown past the budget by writes").containsEntry("view_rows", 11L);
        Fixtures.fails(
                LiveQueryException.Code.TOO_MANY_SUBS,
                () -> e.subscribe(query("{'table':'c','limit':10}"), null, () -> {}));
        e.restore("a", List.of(new Row("z", 20, obj("{'id':'z','n':1}"))), 20, "failover");
        assertThat(e.gauges()).containsEntry("view_rows", 3L);
        a.close();
        small.close();
        assertThat(e.gauges()).containsEntry("view_rows", 0L);
        e.subscribe(query("{'table':'b','limit':10}"), null, () -> {});
        assertThat(e.gauges()).containsEntry("view_rows", 6L);
        assertThat(e.query(query("{'table':'a','limit':1}")).rows()).hasSize(1);
    }
}
