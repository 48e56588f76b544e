package dev.livequery.core;

import static dev.livequery.core.Fixtures.as;
import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.testkit.Replica;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL §3 frames, splice semantics, reanchor (§4) and resume tokens, example by example,
 * against the embedded backend and a replica that applies frames the way a naive client does.
 */
class FramesTest {

    /**
     * A client: the test kit's replica fed with the frames' wire JSON, plus a copy of it at every
     * eid, which is what a client resuming from that eid holds.
     */
    static final class Client {
        final Replica replica;
        final Map<String, Replica> byEid = new LinkedHashMap<>();

        Client() {
            this(new Replica());
        }

        /** A client that holds what {@code start} holds, as after a reconnect. */
        Client(Replica start) {
            replica = start.copy();
        }

        Client apply(List<Frame> frames) {
            for (Frame f : frames) {
                replica.apply(WireFrames.json(f));
                if (f.eid() != null) {
                    byEid.put(f.eid(), replica.copy());
                }
            }
            return this;
        }

        List<String> ids() {
            return replica.ids();
        }

        /** Exactly the server's window: same rows, versions and contents, in order. */
        void assertEquals(LocalBackend b, Query q) throws LiveQueryException {
            QueryResult r = b.query(q);
            List<String> truth = r.rows().stream()
                    .map(x -> x.id() + "@" + x.version() + x.json())
                    .toList();
            assertThat(replica.items().stream()
                            .map(x -> x.id() + "@" + x.version() + x.row())
                            .toList())
                    .isEqualTo(truth);
        }
    }

    LocalBackend b;

    /** Rows r00..r19 with p = 0, 10, …, 190; ids sort like p. */
    @BeforeEach
    void twentyRows() throws Exception {
        b = new LocalBackend(EngineOptions.defaults());
        fill(b, 20);
    }

    static void fill(LocalBackend b, int n) throws LiveQueryException {
        for (int i = 0; i < n; i++) {
            b.put("t", id(i), obj("{'p':" + (i * 10) + "}"), null);
        }
    }

    static String id(int i) {
        return String.format("r%02d", i);
    }

    static Query byP(int limit) throws LiveQueryException {
        return query("{'table':'t','order':[{'field':'p'}],'limit':" + limit + "}");
    }

    String cursor(String id) throws LiveQueryException {
        QueryResult r = b.query(byP(1000));
        return r.cursors().get(r.rows().stream().map(Row::id).toList().indexOf(id));
    }

    Query afterQ(String id, int limit) throws LiveQueryException {
        return byP(limit).withWindow(new Window(cursor(id), null, limit));
    }

    Query beforeQ(String id, int limit) throws LiveQueryException {
        return byP(limit).withWindow(new Window(null, cursor(id), limit));
    }

    Subscription sub(Query q, String resume) throws LiveQueryException {
        return b.subscribe(q, resume, () -> {});
    }

    void p(String id, int p) throws LiveQueryException {
        b.put("t", id, obj("{'p':" + p + "}"), null);
    }

    /** Subscribes, checks the snapshot, and returns the live subscription with its replica. */
    record Live(Subscription s, Client r) {}

    Live live(Query q) throws LiveQueryException {
        Subscription s = sub(q, null);
        Client r = new Client().apply(drain(s));
        r.assertEquals(b, q);
        return new Live(s, r);
    }

    /** Drains, applies, checks the replica against the server, returns the frames as text. */
    List<String> step(Live l) throws LiveQueryException {
        List<Frame> fs = drain(l.s());
        l.r().apply(fs);
        l.r().assertEquals(b, l.s().query());
        return d(fs);
    }

    // ---- snapshots ------------------------------------------------------------------------------

    @Nested
    class Snapshots {
        @Test
        void topWindow() throws Exception {
            Subscription s = sub(byP(5), null);
            assertThat(s.queued())
                    .as("the pending first snapshot counts as one")
                    .isEqualTo(1);
            List<Frame> fs = drain(s);
            assertThat(d(fs))
                    .containsExactly(
                            "reset subscribe",
                            "enter r00@0",
                            "enter r01@1",
                            "enter r02@2",
                            "enter r03@3",
                            "enter r04@4",
                            "ready before=false after=true");
            assertThat(as(Frame.Placed.class, fs.get(3)).row().json()).isEqualTo("{\"id\":\"r02\",\"p\":20}");
            assertThat(as(Frame.Placed.class, fs.get(3)).version())
                    .isEqualTo(b.get("t", "r02").version());
            assertThat(as(Frame.Placed.class, fs.get(3)).cursor()).isEqualTo(cursor("r02"));
            assertThat(as(Frame.Ready.class, fs.get(6)).resumed()).isFalse();
            new Client().apply(fs).assertEquals(b, byP(5));
            assertThat(drain(s)).isEmpty();
        }

        @Test
        void windowLargerThanTheData() throws Exception {
            assertThat(d(drain(sub(byP(25), null)))).hasSize(22).endsWith("ready before=false after=false");
            assertThat(d(drain(sub(byP(20), null)))).hasSize(22).endsWith("ready before=false after=false");
            assertThat(d(drain(sub(byP(19), null)))).hasSize(21).endsWith("ready before=false after=true");
        }

        @Test
        void emptyTable() throws Exception {
            LocalBackend e = new LocalBackend(EngineOptions.defaults());
            assertThat(d(drain(e.subscribe(byP(5), null, () -> {}))))
                    .containsExactly("reset subscribe", "ready before=false after=false");
        }

        @Test
        void afterCursorWindow() throws Exception {
            assertThat(d(drain(sub(afterQ("r04", 5), null))))
                    .containsExactly(
                            "reset subscribe",
                            "enter r05@0",
                            "enter r06@1",
                            "enter r07@2",
                            "enter r08@3",
                            "enter r09@4",
                            "ready before=true after=true");
            assertThat(d(drain(sub(afterQ("r16", 5), null))))
                    .containsExactly(
                            "reset subscribe",
                            "enter r17@0",
                            "enter r18@1",
                            "enter r19@2",
                            "ready before=true after=false");
            assertThat(d(drain(sub(afterQ("r14", 5), null)))).endsWith("enter r19@4", "ready before=true after=false");
            assertThat(d(drain(sub(afterQ("r19", 5), null))))
                    .containsExactly("reset subscribe", "ready before=true after=false");
        }

        @Test
        void beforeCursorWindow() throws Exception {
            assertThat(d(drain(sub(beforeQ("r10", 5), null))))
                    .containsExactly(
                            "reset subscribe",
                            "enter r05@0",
                            "enter r06@1",
                            "enter r07@2",
                            "enter r08@3",
                            "enter r09@4",
                            "ready before=true after=true");
            assertThat(d(drain(sub(beforeQ("r03", 5), null))))
                    .containsExactly(
                            "reset subscribe",
                            "enter r00@0",
                            "enter r01@1",
                            "enter r02@2",
                            "ready before=false after=true");
            assertThat(d(drain(sub(beforeQ("r05", 5), null)))).endsWith("enter r04@4", "ready before=false after=true");
            assertThat(d(drain(sub(beforeQ("r00", 5), null))))
                    .containsExactly("reset subscribe", "ready before=false after=true");
        }

        @Test
        void sameShapeSharesOneView() throws Exception {
            sub(byP(5), null);
            sub(afterQ("r09", 3), null);
            sub(beforeQ("r09", 2), null);
            assertThat(b.gauges()).containsEntry("views", 1L).containsEntry("subscriptions", 3L);
        }
    }

    // ---- incremental changes, forward window ------------------------------------------------------

    @Nested
    class Forward {
        Live l;

        @BeforeEach
        void top5() throws Exception {
            l = live(byP(5)); // r00..r04
        }

        @Test
        void insertIntoTheMiddleOfAFullWindowEntersAndEvictsTheLast() throws Exception {
            p("x", 25);
            assertThat(step(l)).containsExactly("enter x@3", "leave r04@5");
            assertThat(l.r().ids()).containsExactly("r00", "r01", "r02", "x", "r03");
        }

        @Test
        void insertAtTheTopAndBelowTheWindow() throws Exception {
            p("a", -1);
            assertThat(step(l)).containsExactly("enter a@0", "leave r04@5");
            p("z", 1000);
            assertThat(step(l)).isEmpty();
            p("y", 35); // after r03, the last row now
            assertThat(step(l)).isEmpty();
        }

        @Test
        void insertIntoANotFullWindowOnlyEnters() throws Exception {
            Live small = live(afterQ("r16", 5)); // r17, r18, r19
            p("x", 175);
            assertThat(step(small)).containsExactly("enter x@1");
            p("y", 500);
            assertThat(step(small)).containsExactly("enter y@4");
            p("z", 600);
            assertThat(step(small)).isEmpty();
        }

        @Test
        void deleteFromTheWindowLeavesAndPullsInTheNextRow() throws Exception {
            b.delete("t", "r02", null);
            List<Frame> fs = drain(l.s());
            assertThat(d(fs)).containsExactly("leave r02@2", "enter r05@4");
            assertThat(as(Frame.Placed.class, fs.get(1)).version())
                    .isEqualTo(b.get("t", "r05").version());
            l.r().apply(fs).assertEquals(b, byP(5));
            b.delete("t", "r07", null);
            assertThat(step(l)).as("a delete outside the window").isEmpty();
        }

        @Test
        void deleteAtTheEndOfTheData() throws Exception {
            Live end = live(afterQ("r16", 5)); // r17..r19
            b.delete("t", "r19", null);
            assertThat(step(end)).containsExactly("leave r19@2");
            b.delete("t", "r17", null);
            b.delete("t", "r18", null);
            assertThat(step(end)).containsExactly("leave r17@0", "leave r18@0");
        }

        @Test
        void sortKeyChangeWithinTheWindowIsOneMove() throws Exception {
            p("r03", 5);
            assertThat(step(l)).containsExactly("move r03 3>1");
            p("r00", 35);
            assertThat(step(l)).containsExactly("move r00 0>3");
            assertThat(l.r().ids()).containsExactly("r03", "r01", "r02", "r00", "r04");
        }

        @Test
        void sortKeyChangeThatKeepsTheIndexIsAnUpdate() throws Exception {
            p("r01", 15);
            List<Frame> fs = drain(l.s());
            assertThat(d(fs)).containsExactly("update r01@1");
            assertThat(as(Frame.Placed.class, fs.get(0)).row().json()).isEqualTo("{\"id\":\"r01\",\"p\":15}");
            l.r().apply(fs).assertEquals(b, byP(5));
            p("r04", 49); // the last row, still before r05
            assertThat(step(l)).containsExactly("update r04@4");
        }

        @Test
        void updateThatDoesNotChangeThePosition() throws Exception {
            long before = b.get("t", "r02").version();
            b.put("t", "r02", obj("{'p':20,'name':'two'}"), null);
            List<Frame> fs = drain(l.s());
            assertThat(d(fs)).containsExactly("update r02@2");
            assertThat(as(Frame.Placed.class, fs.get(0)).version())
                    .isGreaterThan(before)
                    .isEqualTo(b.get("t", "r02").version());
            assertThat(as(Frame.Placed.class, fs.get(0)).row().json())
                    .isEqualTo("{\"id\":\"r02\",\"p\":20,\"name\":\"two\"}");
            l.r().apply(fs).assertEquals(b, byP(5));
            b.patch("t", "r09", obj("{'name':'nine'}"), null);
            assertThat(step(l)).as("an update outside the window").isEmpty();
        }

        @Test
        void rowMovingToJustBelowTheWindowIsAMoveToTheLastIndex() throws Exception {
            p("r01", 45); // between r04 (40) and r05 (50): it is the next row
            assertThat(step(l)).containsExactly("move r01 1>4");
        }

        @Test
        void rowMovingFarBelowTheWindowLeavesAndTheNextRowEnters() throws Exception {
            p("r01", 1000);
            assertThat(step(l)).containsExactly("leave r01@1", "enter r05@4");
            p("r01", 10); // and back in
            assertThat(step(l)).containsExactly("enter r01@1", "leave r05@5");
        }

        @Test
        void rowLeavingTheWhereLeaves() throws Exception {
            Live f = live(query("{'table':'t','where':{'p':{'lt':100}},'order':[{'field':'p','dir':'desc'}],"
                    + "'limit':3}")); // r09, r08, r07
            p("r08", 150);
            assertThat(step(f)).containsExactly("leave r08@1", "enter r06@2");
            p("r08", 85);
            assertThat(step(f)).containsExactly("enter r08@1", "leave r06@3");
        }

        @Test
        void rowMovingAboveAnAfterWindow() throws Exception {
            Live w = live(afterQ("r04", 3)); // r05, r06, r07
            p("r06", 1); // moves above the cursor: out of the window
            assertThat(step(w)).containsExactly("leave r06@1", "enter r08@2");
            p("r01", 55); // moves from above into the window
            assertThat(step(w)).containsExactly("enter r01@1", "leave r08@3");
        }

        @Test
        void severalChangesBetweenDrainsApplyInOrder() throws Exception {
            p("x", 25);
            b.delete("t", "r00", null);
            p("r03", 1000);
            p("r02", 21);
            assertThat(step(l))
                    .containsExactly(
                            "enter x@3",
                            "leave r04@5",
                            "leave r00@0",
                            "enter r04@4",
                            "leave r03@3",
                            "enter r05@4",
                            "update r02@1");
        }
    }

    // ---- backward windows mirror ----------------------------------------------------------------

    @Nested
    class Backward {
        Live l;

        @BeforeEach
        void before10() throws Exception {
            l = live(beforeQ("r10", 5)); // r05..r09
        }

        @Test
        void insertIntoTheMiddleEvictsTheFirst() throws Exception {
            p("x", 75);
            assertThat(step(l)).containsExactly("enter x@3", "leave r05@0");
            assertThat(l.r().ids()).containsExactly("r06", "r07", "x", "r08", "r09");
        }

        @Test
        void insertAboveTheWindowOrBeyondTheCursorSendsNothing() throws Exception {
            p("x", 45);
            assertThat(step(l)).isEmpty();
            p("y", 101); // after the before-cursor
            assertThat(step(l)).isEmpty();
            p("z", 99); // just before the cursor: the window's last row
            assertThat(step(l)).containsExactly("enter z@5", "leave r05@0");
        }

        @Test
        void deleteLeavesAndPullsInTheRowAbove() throws Exception {
            b.delete("t", "r07", null);
            assertThat(step(l)).containsExactly("leave r07@2", "enter r04@0");
        }

        @Test
        void sortKeyChangeWithinTheWindowIsOneMove() throws Exception {
            p("r09", 55);
            assertThat(step(l)).containsExactly("move r09 4>1");
            p("r05", 52); // index 0 stays
            assertThat(step(l)).containsExactly("update r05@0");
        }

        @Test
        void rowMovingToJustAboveIsAMoveToTheFirstIndex() throws Exception {
            p("r07", 45); // between r04 and r05: the next row of a backward window
            assertThat(step(l)).containsExactly("move r07 2>0");
        }

        @Test
        void rowMovingFarAboveLeavesAndTheRowAboveEnters() throws Exception {
            p("r06", -5);
            assertThat(step(l)).containsExactly("leave r06@1", "enter r04@0");
        }

        @Test
        void rowMovingPastTheCursorLeaves() throws Exception {
            p("r08", 500);
            assertThat(step(l)).containsExactly("leave r08@3", "enter r04@0");
        }

        @Test
        void notFullBackwardWindowAtTheTop() throws Exception {
            Live top = live(beforeQ("r03", 5)); // r00, r01, r02
            p("x", -10);
            assertThat(step(top)).containsExactly("enter x@0");
            b.delete("t", "r01", null);
            assertThat(step(top)).containsExactly("leave r01@2");
        }
    }

    // ---- reanchor -------------------------------------------------------------------------------

    @Nested
    class Reanchor {
        @Test
        void growing50To100SendsExactly50EntersThenReady() throws Exception {
            fill(b, 200);
            Live l = live(byP(50));
            l.s().reanchor(new Window(null, null, 100));
            List<Frame> fs = drain(l.s());
            assertThat(fs).hasSize(51);
            for (int i = 0; i < 50; i++) {
                assertThat(d(fs.get(i))).isEqualTo("enter " + id(50 + i) + "@" + (50 + i));
            }
            assertThat(d(fs.get(50))).isEqualTo("ready before=false after=true");
            l.r().apply(fs).assertEquals(b, byP(100));
            assertThat(drain(l.s())).isEmpty();
            assertThat(l.s().query().window()).isEqualTo(new Window(null, null, 100));
        }

        @Test
        void shrinkingSendsOnlyLeaves() throws Exception {
            Live l = live(byP(5));
            l.s().reanchor(new Window(null, null, 2));
            assertThat(step(l))
                    .containsExactly("leave r04@4", "leave r03@3", "leave r02@2", "ready before=false after=true");
        }

        @Test
        void toADisjointWindow() throws Exception {
            Live l = live(byP(5));
            l.s().reanchor(new Window(cursor("r09"), null, 5));
            assertThat(step(l))
                    .containsExactly(
                            "leave r04@4",
                            "leave r03@3",
                            "leave r02@2",
                            "leave r01@1",
                            "leave r00@0",
                            "enter r10@0",
                            "enter r11@1",
                            "enter r12@2",
                            "enter r13@3",
                            "enter r14@4",
                            "ready before=true after=true");
        }

        @Test
        void toAnOverlappingWindowKeepsTheSharedRows() throws Exception {
            Live l = live(byP(5));
            l.s().reanchor(new Window(cursor("r02"), null, 5));
            assertThat(step(l))
                    .containsExactly(
                            "leave r02@2",
                            "leave r01@1",
                            "leave r00@0",
                            "enter r05@2",
                            "enter r06@3",
                            "enter r07@4",
                            "ready before=true after=true");
            l.s().reanchor(new Window(null, cursor("r05"), 3)); // backward: r02, r03, r04
            assertThat(step(l))
                    .containsExactly(
                            "leave r07@4", "leave r06@3", "leave r05@2", "enter r02@0", "ready before=true after=true");
            l.s().reanchor(new Window(null, null, 3)); // "after": null, no before: from the top
            assertThat(step(l))
                    .containsExactly(
                            "leave r04@2",
                            "leave r03@1",
                            "enter r00@0",
                            "enter r01@1",
                            "ready before=false after=true");
        }

        @Test
        void toTheSameWindowSendsOnlyReady() throws Exception {
            Live l = live(byP(5));
            l.s().reanchor(new Window(null, null, 5));
            assertThat(step(l)).containsExactly("ready before=false after=true");
        }

        @Test
        void liveChangesContinueAfterAReanchor() throws Exception {
            Live l = live(byP(5));
            l.s().reanchor(new Window(cursor("r09"), null, 3));
            step(l);
            p("x", 105);
            assertThat(step(l)).containsExactly("enter x@1", "leave r12@3");
            p("r00", 0); // an update above the window
            assertThat(step(l)).isEmpty();
        }

        @Test
        void reanchorBeforeTheFirstDrainOnlyChangesTheSnapshot() throws Exception {
            Subscription s = sub(byP(5), null);
            s.reanchor(new Window(cursor("r09"), null, 2));
            assertThat(d(drain(s)))
                    .containsExactly("reset subscribe", "enter r10@0", "enter r11@1", "ready before=true after=true");
        }
    }

    // ---- overflow -------------------------------------------------------------------------------

    @Test
    void overflowResetsWithAFreshSnapshot() throws Exception {
        LocalBackend o = new LocalBackend(EngineOptions.defaults().withMaxQueued(3));
        fill(o, 10);
        Subscription s = o.subscribe(byP(4), null, () -> {});
        Client r = new Client().apply(drain(s));
        o.put("t", "r01", obj("{'p':11}"), null);
        o.put("t", "r02", obj("{'p':21}"), null);
        o.put("t", "r03", obj("{'p':31}"), null);
        assertThat(s.queued()).isEqualTo(3);
        o.put("t", "x", obj("{'p':1}"), null); // two more frames: over the limit
        o.put("t", "r00", obj("{'p':2}"), null);
        List<Frame> fs = drain(s);
        assertThat(d(fs))
                .containsExactly(
                        "reset overflow",
                        "enter x@0",
                        "enter r00@1",
                        "enter r01@2",
                        "enter r02@3",
                        "ready before=false after=true");
        r.apply(fs).assertEquals(o, byP(4));
        assertThat(r.replica.items().get(1).row().toString()).isEqualTo("{\"id\":\"r00\",\"p\":2}");
        // and it is live again afterwards
        o.delete("t", "x", null);
        List<Frame> after = drain(s);
        assertThat(d(after)).containsExactly("leave x@0", "enter r03@3");
        r.apply(after).assertEquals(o, byP(4));
    }

    @Test
    void exactlyMaxQueuedFramesDoNotOverflow() throws Exception {
        LocalBackend o = new LocalBackend(EngineOptions.defaults().withMaxQueued(3));
        fill(o, 10);
        Subscription s = o.subscribe(byP(4), null, () -> {});
        drain(s);
        o.put("t", "x", obj("{'p':1}"), null); // enter + leave
        o.put("t", "r01", obj("{'p':1}"), null); // update... or move
        assertThat(s.queued()).isEqualTo(3);
        assertThat(d(drain(s))).doesNotContain("reset overflow");
    }

    // ---- resume ---------------------------------------------------------------------------------

    @Nested
    class Resume {
        @Test
        void fromTheLastEidSendsOnlyWhatChanged() throws Exception {
            Live l = live(byP(5));
            String last = drainLastEid(l);
            l.s().close();
            p("x", 25);
            b.delete("t", "r00", null);
            p("r09", 1000);
            Subscription s = sub(byP(5), last);
            List<Frame> fs = drain(s);
            assertThat(d(fs)).containsExactly("leave r00@0", "enter x@2", "ready before=false after=true resumed");
            Client r = new Client(l.r().byEid.get(last)).apply(fs);
            r.assertEquals(b, byP(5));
            p("r01", 26);
            List<Frame> more = drain(s);
            assertThat(d(more)).containsExactly("move r01 0>2");
            r.apply(more).assertEquals(b, byP(5));
        }

        String drainLastEid(Live l) {
            return new ArrayList<>(l.r().byEid.keySet()).getLast();
        }

        @Test
        void withNothingChangedSendsOnlyReady() throws Exception {
            Live l = live(afterQ("r04", 5));
            l.s().close();
            assertThat(d(drain(sub(afterQ("r04", 5), drainLastEid(l)))))
                    .containsExactly("ready before=true after=true resumed");
        }

        @Test
        void fromAMidSnapshotEid() throws Exception {
            Subscription s = sub(byP(5), null);
            List<Frame> snap = drain(s);
            s.close();
            Client r = new Client().apply(snap.subList(0, 4)); // reset, r00, r01, r02
            String eid = snap.get(3).eid();
            Subscription again = sub(byP(5), eid);
            List<Frame> fs = drain(again);
            assertThat(d(fs)).containsExactly("enter r03@3", "enter r04@4", "ready before=false after=true resumed");
            r.apply(fs).assertEquals(b, byP(5));

            // from the reset itself (nothing held) with changes since
            p("r01", 1000);
            Subscription third = sub(byP(5), snap.get(0).eid());
            List<Frame> all = drain(third);
            assertThat(d(all))
                    .containsExactly(
                            "enter r00@0",
                            "enter r02@1",
                            "enter r03@2",
                            "enter r04@3",
                            "enter r05@4",
                            "ready before=false after=true resumed");
            new Client().apply(all).assertEquals(b, byP(5));
        }

        @Test
        void fromTheMiddleOfAMultiFrameChange() throws Exception {
            Live l = live(byP(5));
            p("x", 25); // enter x@3, leave r04@5
            List<Frame> fs = drain(l.s());
            l.s().close();
            Client r = new Client(l.r().replica).apply(fs.subList(0, 1));
            Subscription s = sub(byP(5), fs.get(0).eid());
            List<Frame> rest = drain(s);
            assertThat(d(rest)).containsExactly("leave r04@5", "ready before=false after=true resumed");
            r.apply(rest).assertEquals(b, byP(5));
        }

        @Test
        void fromTheMiddleOfAReanchor() throws Exception {
            Live l = live(byP(5));
            l.s().reanchor(new Window(cursor("r02"), null, 5));
            List<Frame> fs = drain(l.s()); // 3 leaves, 3 enters, ready
            l.s().close();
            for (int cut = 1; cut < fs.size(); cut++) {
                Client r = new Client(l.r().replica).apply(fs.subList(0, cut));
                Query q = afterQ("r02", 5);
                List<Frame> rest = drain(sub(q, fs.get(cut - 1).eid()));
                assertThat(rest.get(0).op()).as("cut %d", cut).isNotEqualTo(Frame.Op.RESET);
                assertThat(d(rest))
                        .as("cut %d", cut)
                        .hasSize(fs.size() - cut + (cut == fs.size() ? 1 : 0))
                        .endsWith("ready before=true after=true resumed");
                r.apply(rest).assertEquals(b, q);
            }
        }

        @Test
        void intoADifferentWindowIsAReanchor() throws Exception {
            Live l = live(byP(5));
            String last = drainLastEid(l);
            l.s().close();
            Query q = afterQ("r02", 4);
            List<Frame> fs = drain(sub(q, last));
            assertThat(d(fs))
                    .containsExactly(
                            "leave r02@2",
                            "leave r01@1",
                            "leave r00@0",
                            "enter r05@2",
                            "enter r06@3",
                            "ready before=true after=true resumed");
            new Client(l.r().byEid.get(last)).apply(fs).assertEquals(b, q);
        }

        void assertResetSnapshot(Subscription s, String cause, Query q) throws LiveQueryException {
            List<Frame> fs = drain(s);
            assertThat(d(fs.get(0))).isEqualTo("reset " + cause);
            assertThat(d(fs.getLast())).isEqualTo("ready before=false after=true");
            assertThat(as(Frame.Ready.class, fs.getLast()).resumed()).isFalse();
            new Client().apply(fs).assertEquals(b, q);
        }

        @Test
        void forgedOrGarbledTokensResetWithResumeMiss() throws Exception {
            Live l = live(byP(5));
            String eid = drainLastEid(l);
            int mid = eid.length() / 2;
            String flipped = eid.substring(0, mid) + (eid.charAt(mid) == 'A' ? 'B' : 'A') + eid.substring(mid + 1);
            for (String bad : List.of(
                    flipped,
                    eid.substring(1),
                    eid + "A",
                    "",
                    "~",
                    "garbage!",
                    "A".repeat(300),
                    java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[30]))) {
                assertResetSnapshot(sub(byP(5), bad), "resume_miss", byP(5));
            }
        }

        @Test
        void tokenOfAnotherShapeResetsWithResumeMiss() throws Exception {
            Query other = query("{'table':'t','order':[{'field':'p','dir':'desc'}],'limit':5}");
            Subscription o = sub(other, null);
            String eid = drain(o).getLast().eid();
            assertResetSnapshot(sub(byP(5), eid), "resume_miss", byP(5));
            Query otherWhere = query("{'table':'t','where':{'p':{'gte':0}},'order':[{'field':'p'}],'limit':5}");
            String eid2 = drain(sub(otherWhere, null)).getLast().eid();
            assertResetSnapshot(sub(byP(5), eid2), "resume_miss", byP(5));
        }

        @Test
        void tokenPastTheHorizonResetsWithResumeMiss() throws Exception {
            b = new LocalBackend(EngineOptions.defaults().withHorizon(5, Duration.ZERO, 5));
            fill(b, 20);
            Live l = live(byP(5));
            String eid = drainLastEid(l);
            l.s().close();
            for (int i = 0; i < 20; i++) {
                p("r19", 190 + i);
            }
            assertResetSnapshot(sub(byP(5), eid), "resume_miss", byP(5));
        }

        @Test
        void tokenWithinTheHorizonResumes() throws Exception {
            b = new LocalBackend(EngineOptions.defaults().withHorizon(5, Duration.ZERO, 5));
            fill(b, 20);
            Live l = live(byP(5));
            String eid = drainLastEid(l);
            l.s().close();
            for (int i = 0; i < 4; i++) {
                p("r19", 190 + i);
            }
            p("r02", 21);
            List<Frame> fs = drain(sub(byP(5), eid));
            assertThat(d(fs)).containsExactly("update r02@2", "ready before=false after=true resumed");
        }

        @Test
        void tokenFromAnotherInstanceWithTheSameSecretResetsWithEpoch() throws Exception {
            Live l = live(byP(5));
            String eid = drainLastEid(l);
            LocalBackend restarted = new LocalBackend(EngineOptions.defaults());
            fill(restarted, 20);
            List<Frame> fs = drain(restarted.subscribe(byP(5), eid, () -> {}));
            assertThat(d(fs))
                    .startsWith("reset epoch")
                    .endsWith("ready before=false after=true")
                    .hasSize(7);
            assertThat(as(Frame.Reset.class, fs.get(0)).epoch())
                    .isNotEqualTo(as(Frame.Reset.class, drain(sub(byP(5), null)).get(0))
                            .epoch());
            new Client().apply(fs).assertEquals(restarted, byP(5));

            LocalBackend otherSecret = new LocalBackend(EngineOptions.defaults()
                    .withSecret("a-completely-different-secret!!".getBytes(StandardCharsets.UTF_8)));
            fill(otherSecret, 20);
            assertThat(d(drain(otherSecret.subscribe(byP(5), eid, () -> {})).get(0)))
                    .isEqualTo("reset resume_miss");
        }

        @Test
        void aResumeWithAnOverlongIdTokenOrTildeIsAResumeMiss() throws Exception {
            assertResetSnapshot(sub(byP(5), Tokens.UNRESUMABLE), "resume_miss", byP(5));
        }
    }

    // ---- eids -----------------------------------------------------------------------------------

    @Test
    void everyWindowChangingFrameAndEveryReadyCarriesAnAsciiEidOfAtMost200Bytes() throws Exception {
        Live l = live(byP(5));
        p("x", 25);
        b.delete("t", "r00", null);
        l.s().reanchor(new Window(cursor("r09"), null, 7));
        List<Frame> fs = drain(l.s());
        fs.addAll(drain(sub(byP(5), null)));
        for (Frame f : fs) {
            assertThat(f.eid()).as("%s", f).isNotNull().matches("[\\x21-\\x7e]{1,200}");
            assertThat(FrameCodec.toJson(f, "s1")).contains("\"eid\":\"" + f.eid() + "\"");
        }
        assertThat(Frame.pong().eid()).isNull();
        assertThat(Frame.status(Frame.Status.State.STALE).eid()).isNull();
        assertThat(Frame.closed(Frame.Closed.Cause.SHUTDOWN).eid()).isNull();
    }

    @Test
    void theSubSplicedIntoTheSharedEncodingIsTheFramesJsonWithThatSub() throws Exception {
        Live l = live(byP(5));
        p("x", 25);
        b.delete("t", "r00", null);
        List<Frame> fs = drain(l.s());
        fs.add(Frame.status(Frame.Status.State.STALE));
        fs.add(Frame.error(LiveQueryException.Code.BAD_QUERY, "line\nbreak \"quoted\" \u2028"));
        for (String sub : List.of("s1", "a\"b\\c", "\u00e9\u2028\ud83d\ude00", "")) {
            byte[] member = FrameCodec.subMember(sub);
            for (Frame f : fs) {
                byte[] out = new byte[FrameCodec.length(f, member) + 3];
                assertThat(FrameCodec.writeTo(f, out, 3, member)).isEqualTo(out.length);
                String json = new String(out, 3, out.length - 3, StandardCharsets.UTF_8);
                assertThat(json).isEqualTo(FrameCodec.toJson(f, sub));
                var tree = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(json);
                assertThat(tree.path("sub").asText()).isEqualTo(sub);
                tree.remove("sub");
                assertThat(tree).as("%s", f).isEqualTo(Json.MAPPER.readTree(FrameCodec.toJson(f, null)));
            }
        }
    }

    @Test
    void eidsWithMaximumLengthIdsAreShortOrUnresumable() throws Exception {
        LocalBackend m = new LocalBackend(EngineOptions.defaults());
        List<String> longIds = IntStream.range(0, 12)
                .mapToObj(i -> String.format("%02d", i) + "x".repeat(126))
                .toList();
        for (int i = 0; i < longIds.size(); i++) {
            m.put("t", longIds.get(i), obj("{'p':" + (i * 10) + "}"), null);
        }
        Subscription s = m.subscribe(byP(5), null, () -> {});
        List<Frame> fs = new ArrayList<>(drain(s));
        m.put("t", "y".repeat(128), obj("{'p':25}"), null);
        m.delete("t", longIds.get(0), null);
        fs.addAll(drain(s));
        s.reanchor(new Window(null, null, 8));
        fs.addAll(drain(s));
        String nonAscii = "é".repeat(128);
        m.put("t", nonAscii, obj("{'p':1}"), null);
        fs.addAll(drain(s));
        Client r = new Client();
        int resumable = 0;
        int unresumable = 0;
        for (Frame f : fs) {
            r.apply(List.of(f));
            String eid = f.eid();
            assertThat(eid).as("%s", d(f)).matches("[\\x21-\\x7e]{1,200}");
            Subscription again = m.subscribe(s.query(), eid, () -> {});
            List<Frame> got = drain(again);
            again.close();
            if (eid.equals(Tokens.UNRESUMABLE)) {
                unresumable++;
                assertThat(d(got.get(0))).isEqualTo("reset resume_miss");
                new Client().apply(got).assertEquals(m, s.query());
            } else {
                resumable++;
                assertThat(got.get(0).op()).as("resume from %s", d(f)).isNotEqualTo(Frame.Op.RESET);
                assertThat(as(Frame.Ready.class, got.getLast()).resumed()).isTrue();
                new Client(r.byEid.get(eid)).apply(got).assertEquals(m, s.query());
            }
        }
        assertThat(resumable).isPositive();
        assertThat(unresumable + resumable).isEqualTo(fs.size());
    }

    @Test
    void wakeupRunsWhenASubscriptionGoesFromNothingToSomethingToDrain() throws Exception {
        int[] wakeups = {0};
        Subscription s = b.subscribe(byP(5), null, () -> wakeups[0]++);
        assertThat(wakeups[0]).as("the pending snapshot").isEqualTo(1);
        drain(s);
        p("r01", 11);
        assertThat(wakeups[0]).isEqualTo(2);
        p("r02", 21);
        assertThat(wakeups[0]).as("already something to drain").isEqualTo(2);
        assertThat(s.queued()).isEqualTo(2);
        List<Frame> one = new ArrayList<>();
        assertThat(s.drain(one, 1)).isEqualTo(1);
        assertThat(d(one)).containsExactly("update r01@1");
        assertThat(s.queued()).isEqualTo(1);
        drain(s);
        p("r15", 1); // enters at the top
        assertThat(wakeups[0]).isEqualTo(3);
        s.close();
        p("r03", 31);
        assertThat(wakeups[0]).as("a closed subscription is not woken").isEqualTo(3);
        assertThat(s.queued()).isZero();
    }
}
