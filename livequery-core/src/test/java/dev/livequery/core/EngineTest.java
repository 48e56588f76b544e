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
}
