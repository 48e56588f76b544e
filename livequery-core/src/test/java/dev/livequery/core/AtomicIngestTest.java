package dev.livequery.core;

import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.core.Engine.Change;
import dev.livequery.testkit.Replica;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** {@link LocalBackend#ingestAtomically}: one upstream transaction is one step for every window. */
class AtomicIngestTest {

    @Test
    void versionsFollowTheCallersNumberingAndNeverGoBack() throws Exception {
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        assertThat(b.ingestAtomically(
                        "t", 100, List.of(Change.upsert("a", obj("{'n':1}")), Change.upsert("b", obj("{'n':2}")))))
                .isEqualTo(101);
        assertThat(b.get("t", "a").version()).isEqualTo(100);
        assertThat(b.get("t", "b").version()).isEqualTo(101);
        // A numbering that falls behind (a transaction larger than its reserved range) still moves forward.
        assertThat(b.ingestAtomically("t", 50, List.of(Change.upsert("a", obj("{'n':3}")))))
                .isEqualTo(102);
        assertThat(b.get("t", "a").version()).isEqualTo(102);
    }

    @Test
    void truncateLeavesEveryRowAndADeleteOfAnAbsentRowIsSkipped() throws Exception {
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        b.ingestAtomically("t", 1, List.of(Change.upsert("a", obj("{'n':1}")), Change.upsert("b", obj("{'n':2}"))));
        Subscription s = b.subscribe(query("{'table':'t','order':[{'field':'n'}],'limit':10}"), null, () -> {});
        drain(s);
        b.ingestAtomically(
                "t", 10, List.of(Change.delete("zz"), Change.truncation(), Change.upsert("c", obj("{'n':0}"))));
        assertThat(d(drain(s))).containsExactly("leave a@0", "leave b@0", "enter c@0");
        assertThat(b.lastChange("t")).isEqualTo(12);
    }

    /**
     * Every transaction rewrites all rows with its own number; a consumer draining concurrently
     * must only ever hold windows whose rows all carry one number (never half a transaction).
     */
    @Test
    void aConcurrentConsumerNeverDrainsHalfATransaction() throws Exception {
        long seed = new Random().nextLong();
        Random rnd = new Random(seed);
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        int rows = 8;
        List<Change> first = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            first.add(Change.upsert("r" + i, obj("{'tx':0,'k':" + i + "}")));
        }
        b.ingestAtomically("t", 1, first);
        Subscription s = b.subscribe(query("{'table':'t','order':[{'field':'k'}],'limit':5}"), null, () -> {});
        AtomicBoolean done = new AtomicBoolean();
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                for (int tx = 1; tx <= 2000; tx++) {
                    List<Change> cs = new ArrayList<>();
                    for (int i = 0; i < rows; i++) {
                        // keys move too, so windows see enters, leaves and moves inside one transaction
                        cs.add(Change.upsert("r" + i, obj("{'tx':" + tx + ",'k':" + rnd.nextInt(20) + "}")));
                    }
                    b.ingestAtomically("t", 0, cs);
                }
            } catch (LiveQueryException e) {
                throw new IllegalStateException(e);
            } finally {
                done.set(true);
            }
        });
        Replica replica = new Replica();
        int checks = 0;
        boolean last = false;
        while (!last) {
            last = done.get();
            List<Frame> out = new ArrayList<>();
            s.drain(out, Integer.MAX_VALUE);
            for (Frame f : out) {
                WireFrames.apply(replica, f);
            }
            if (!out.isEmpty()) {
                checks++;
                assertThat(replica.items().stream()
                                .map(i -> i.row().get("tx").asLong())
                                .distinct()
                                .count())
                        .as(
                                "rows of more than one transaction in one drained window (seed %d): %s",
                                seed, replica.items())
                        .isLessThanOrEqualTo(1);
            }
        }
        writer.join();
        assertThat(checks)
                .as("the consumer drained while transactions were applied")
                .isGreaterThan(1);
        assertThat(replica.items())
                .allSatisfy(i -> assertThat(i.row().get("tx").asLong()).isEqualTo(2000));
    }
}
