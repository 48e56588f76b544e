package dev.livequery.core;

import static dev.livequery.core.Fixtures.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.Replica;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Example-based companions of {@link EngineOraclePropertyTest}: cases the random scenarios reach
 * rarely or cannot state as sharply, each with the expectation written out from PROTOCOL.md.
 */
class EngineOracleExamplesTest {
    private final List<Backend> backends = new ArrayList<>();

    @AfterEach
    void closeAll() {
        backends.forEach(Backend::close);
    }

    private Backend backend(EngineOptions o) {
        Backend b = new LocalBackend(o);
        backends.add(b);
        return b;
    }

    private static ObjectNode obj(String json) {
        return OracleRun.json(json);
    }

    private static Query q(String json) throws LiveQueryException {
        return Query.parse(obj(json));
    }

    private static void put(Backend b, String json) throws LiveQueryException {
        ObjectNode row = obj(json);
        b.put("t", row.get("id").textValue(), row, null);
    }

    private static List<Frame> drain(Subscription s) {
        List<Frame> out = new ArrayList<>();
        s.drain(out, 10_000);
        return out;
    }

    private static List<String> ops(List<Frame> frames) {
        return frames.stream()
                .map(OracleRun::fmt)
                .map(f -> f.replaceAll(" \\{.*", ""))
                .toList();
    }

    private static List<String> apply(Replica r, List<Frame> frames) {
        frames.forEach(f -> WireFrames.apply(r, f));
        return r.ids();
    }

    /** §1 value order, written out by hand: missing (and objects/arrays) < null < false < true < numbers < strings. */
    @Test
    void valueOrderAcrossKinds() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        put(b, "{\"id\":\"s\",\"a\":\"x\"}");
        put(b, "{\"id\":\"n\",\"a\":-5}");
        put(b, "{\"id\":\"t\",\"a\":true}");
        put(b, "{\"id\":\"f\",\"a\":false}");
        put(b, "{\"id\":\"z\",\"a\":null}");
        put(b, "{\"id\":\"m\"}");
        put(b, "{\"id\":\"o\",\"a\":{\"k\":1}}");
        put(b, "{\"id\":\"arr\",\"a\":[1,2]}");
        QueryResult r = b.query(q("{\"table\":\"t\",\"order\":[{\"field\":\"a\"}],\"limit\":100}"));
        assertThat(r.rows().stream().map(Row::id)).containsExactly("arr", "m", "o", "z", "f", "t", "n", "s");
        QueryResult d = b.query(q("{\"table\":\"t\",\"order\":[{\"field\":\"a\",\"dir\":\"desc\"}],\"limit\":100}"));
        // desc flips the key, never the id tiebreak
        assertThat(d.rows().stream().map(Row::id)).containsExactly("s", "n", "t", "f", "z", "arr", "m", "o");
    }

    /** §1 numbers: exact, 1 == 1.0 == 1e0, 2^53 and 2^53+1 differ, beyond 2^63 and 1e400 still order. */
    @Test
    void exactNumbers() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        put(b, "{\"id\":\"c\",\"a\":1e0}");
        put(b, "{\"id\":\"b\",\"a\":1.0}");
        put(b, "{\"id\":\"a\",\"a\":1}");
        put(b, "{\"id\":\"p1\",\"a\":9007199254740993}");
        put(b, "{\"id\":\"p0\",\"a\":9007199254740992}");
        put(b, "{\"id\":\"big\",\"a\":12345678901234567891}");
        put(b, "{\"id\":\"big0\",\"a\":12345678901234567890}");
        put(b, "{\"id\":\"huge\",\"a\":1e400}");
        put(b, "{\"id\":\"tiny\",\"a\":0.1}");
        QueryResult r = b.query(q("{\"table\":\"t\",\"order\":[{\"field\":\"a\"}],\"limit\":100}"));
        assertThat(r.rows().stream().map(Row::id))
                .containsExactly("tiny", "a", "b", "c", "p0", "p1", "big0", "big", "huge");
        QueryResult eq = b.query(q("{\"table\":\"t\",\"where\":{\"a\":1},\"limit\":100}"));
        assertThat(eq.rows().stream().map(Row::id)).containsExactly("a", "b", "c");
        QueryResult lt = b.query(q("{\"table\":\"t\",\"where\":{\"a\":{\"lt\":9007199254740993}},"
                + "\"order\":[{\"field\":\"a\"}],\"limit\":100}"));
        assertThat(lt.rows().stream().map(Row::id)).containsExactly("tiny", "a", "b", "c", "p0");
        // rows come back as written: 1.0 stays 1.0
        assertThat(b.get("t", "b").data().get("a").decimalValue()).isEqualByComparingTo("1.0");
        assertThat(b.get("t", "b").json()).contains("1.0");
    }

    /** §1 strings by code point: U+FFFD < U+1F600 although UTF-16 orders them the other way. */
    @Test
    void codePointOrderOfValuesAndIds() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        put(b, "{\"id\":\"a\uD83D\uDE00\",\"a\":\"\uD83D\uDE00\"}");
        put(b, "{\"id\":\"a\uFFFD\",\"a\":\"\uFFFD\"}");
        put(b, "{\"id\":\"x\",\"a\":\"b\"}");
        QueryResult byValue = b.query(q("{\"table\":\"t\",\"order\":[{\"field\":\"a\"}],\"limit\":100}"));
        assertThat(byValue.rows().stream().map(Row::id)).containsExactly("x", "a\uFFFD", "a\uD83D\uDE00");
        QueryResult byId = b.query(q("{\"table\":\"t\",\"limit\":100}"));
        assertThat(byId.rows().stream().map(Row::id)).containsExactly("a\uFFFD", "a\uD83D\uDE00", "x");
        QueryResult range = b.query(q("{\"table\":\"t\",\"where\":{\"a\":{\"gt\":\"\uFFFD\"}},\"limit\":100}"));
        assertThat(range.rows().stream().map(Row::id)).containsExactly("a\uD83D\uDE00");
    }

    /** §2 lt/lte/gt/gte across kinds are false; ne and exists match missing fields per the notes. */
    @Test
    void rangeAcrossKindsIsFalse() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        put(b, "{\"id\":\"n\",\"a\":5}");
        put(b, "{\"id\":\"s\",\"a\":\"5\"}");
        put(b, "{\"id\":\"z\",\"a\":null}");
        put(b, "{\"id\":\"m\"}");
        put(b, "{\"id\":\"o\",\"a\":{\"k\":9}}");
        assertThat(b.query(q("{\"table\":\"t\",\"where\":{\"a\":{\"gte\":0}},\"limit\":100}")).rows().stream()
                        .map(Row::id))
                .containsExactly("n");
        assertThat(b.query(q("{\"table\":\"t\",\"where\":{\"a\":{\"lt\":\"zzz\"}},\"limit\":100}")).rows().stream()
                        .map(Row::id))
                .containsExactly("s");
        assertThat(b.query(q("{\"table\":\"t\",\"where\":{\"a\":{\"ne\":5}},\"limit\":100}")).rows().stream()
                        .map(Row::id))
                .containsExactly("m", "o", "s", "z");
        assertThat(b.query(q("{\"table\":\"t\",\"where\":{\"a\":{\"exists\":true}},\"limit\":100}")).rows().stream()
                        .map(Row::id))
                .containsExactly("n", "o", "s", "z");
    }

    /** §2 before: the limit rows ending strictly before the cursor; the cursor row itself is "more after". */
    @Test
    void beforeWindowAndFlags() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        for (String id : List.of("a", "b", "c", "d", "e")) {
            put(b, "{\"id\":\"" + id + "\"}");
        }
        QueryResult all = b.query(q("{\"table\":\"t\",\"limit\":100}"));
        String atD = all.cursors().get(3);
        Subscription s = b.subscribe(q("{\"table\":\"t\",\"limit\":2,\"before\":\"" + atD + "\"}"), null, () -> {});
        List<Frame> f = drain(s);
        assertThat(ops(f))
                .containsExactly(
                        "reset subscribe",
                        "enter b@2 new=0",
                        "enter c@3 new=1",
                        "ready before=true after=true resumed=false");
        QueryResult one = b.query(q("{\"table\":\"t\",\"limit\":9,\"before\":\"" + atD + "\"}"));
        assertThat(one.rows().stream().map(Row::id)).containsExactly("a", "b", "c");
        assertThat(one.hasMoreBefore()).isFalse();
        assertThat(one.hasMoreAfter()).isTrue();
        s.close();
    }

    /** §4: growing a window sends only the new rows, then ready. */
    @Test
    void reanchorSendsOnlyTheDifference() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        for (String id : List.of("a", "b", "c", "d", "e", "f")) {
            put(b, "{\"id\":\"" + id + "\"}");
        }
        Subscription s = b.subscribe(q("{\"table\":\"t\",\"limit\":2}"), null, () -> {});
        Replica r = new Replica();
        apply(r, drain(s));
        s.reanchor(new Window(null, null, 5));
        List<Frame> f = drain(s);
        assertThat(ops(f))
                .containsExactly(
                        "enter c@3 new=2",
                        "enter d@4 new=3",
                        "enter e@5 new=4",
                        "ready before=false after=true resumed=false");
        assertThat(apply(r, f)).containsExactly("a", "b", "c", "d", "e");
        s.close();
    }

    /** §3: a client cut off inside the first snapshot resumes from what it holds, with no reset. */
    @Test
    void resumeMidSnapshot() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        for (String id : List.of("a", "b", "c")) {
            put(b, "{\"id\":\"" + id + "\"}");
        }
        Query query = q("{\"table\":\"t\",\"limit\":10}");
        Subscription s = b.subscribe(query, null, () -> {});
        List<Frame> f = drain(s);
        s.close();
        Replica r = new Replica();
        apply(r, f.subList(0, 3)); // reset, enter a, enter b: the connection broke here
        put(b, "{\"id\":\"a\",\"v\":2}");
        Subscription again = b.subscribe(query, f.get(2).eid(), () -> {});
        List<Frame> g = drain(again);
        assertThat(g).first().extracting(Frame::op).isNotEqualTo(Frame.Op.RESET);
        assertThat(g)
                .last()
                .isInstanceOfSatisfying(
                        Frame.Ready.class, ready -> assertThat(ready.resumed()).isTrue());
        assertThat(apply(r, g)).containsExactly("a", "b", "c");
        assertThat(r.items().get(0).version()).isEqualTo(b.get("t", "a").version());
        again.close();
    }

    /** §3: tokens that do not verify, come from another shape, or lie past the horizon give reset resume_miss. */
    @Test
    void badTokensGiveResumeMiss() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults().withHorizon(1, Duration.ZERO, 1));
        put(b, "{\"id\":\"a\",\"x\":1}");
        Query q1 = q("{\"table\":\"t\",\"limit\":10}");
        Query q2 = q("{\"table\":\"t\",\"where\":{\"x\":1},\"limit\":10}");
        Subscription s = b.subscribe(q1, null, () -> {});
        String eid = drain(s).getLast().eid();
        s.close();
        for (String token : List.of(
                "",
                "~",
                "x",
                eid.substring(0, eid.length() - 1),
                eid + "A",
                eid.substring(0, 10) + (eid.charAt(10) == 'A' ? 'B' : 'A') + eid.substring(11))) {
            Subscription t = b.subscribe(q1, token, () -> {});
            assertThat(ops(drain(t))).as("token %s", token).startsWith("reset resume_miss");
            t.close();
        }
        Subscription other = b.subscribe(q2, eid, () -> {});
        assertThat(ops(drain(other))).as("token of another shape").startsWith("reset resume_miss");
        other.close();
        // within the horizon (one change later) it resumes; two changes later it must not
        put(b, "{\"id\":\"b\",\"x\":1}");
        Subscription in = b.subscribe(q1, eid, () -> {});
        assertThat(ops(drain(in))).containsExactly("enter b@2 new=1", "ready before=false after=false resumed=true");
        in.close();
        put(b, "{\"id\":\"c\",\"x\":1}");
        Subscription out = b.subscribe(q1, eid, () -> {});
        assertThat(ops(drain(out))).startsWith("reset resume_miss");
        out.close();
    }

    /**
     * §3: within the horizon a client resumes from the eid of the last frame it applied, also when
     * that frame was part of an earlier resume's splice. Here the client holds the row as of
     * change 5 and only change 6 happened since, well inside a horizon of 2 changes.
     */
    @Test
    void resumeFromInsideAResumeSpliceWithinTheHorizon() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults().withHorizon(2, Duration.ZERO, 2));
        Query query = q("{\"table\":\"t\",\"limit\":1}");
        Subscription s0 = b.subscribe(query, null, () -> {});
        put(b, "{\"id\":\"a\",\"p\":1}");
        drain(s0);
        for (int p = 2; p <= 5; p++) {
            put(b, "{\"id\":\"a\",\"p\":" + p + "}");
        }
        List<Frame> partial = new ArrayList<>();
        s0.drain(partial, 2); // update a@2, update a@3: then the connection breaks
        s0.close();
        Subscription s1 = b.subscribe(query, partial.getLast().eid(), () -> {});
        List<Frame> splice = drain(s1);
        assertThat(ops(splice)).containsExactly("update a@5 new=0", "ready before=false after=false resumed=true");
        s1.close(); // the client applied "update a@5" and lost the ready
        put(b, "{\"id\":\"a\",\"p\":6}");
        Subscription s2 = b.subscribe(query, splice.getFirst().eid(), () -> {});
        assertThat(ops(drain(s2))).containsExactly("update a@6 new=0", "ready before=false after=false resumed=true");
        s2.close();
    }

    /**
     * §3 again, one level deeper: the client is cut inside a reanchor (token T1), resumes with T1
     * and is cut inside that resume's splice (token T2, made at change 5). Three changes later,
     * inside a horizon of 3 changes (history up to 100 kept), T2 must still resume.
     */
    @Test
    void resumeFromInsideTheResumeOfAReanchorWithinTheHorizon() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults().withHorizon(3, Duration.ZERO, 100));
        for (String id : List.of("B", "a", "aa", "b")) {
            put(b, "{\"id\":\"" + id + "\"}");
        }
        Query top1 = q("{\"table\":\"t\",\"limit\":1}");
        Subscription s = b.subscribe(top1, null, () -> {});
        Replica r = new Replica();
        List<Frame> f0 = drain(s);
        apply(r, f0);
        Window afterB = new Window(as(Frame.Placed.class, f0.get(1)).cursor(), null, 2);
        s.reanchor(afterB);
        List<Frame> f1 = drain(s);
        s.close();
        apply(r, f1.subList(0, 1)); // "leave B", then the connection broke
        b.delete("t", "a", null); // change 5
        Subscription t = b.subscribe(top1.withWindow(afterB), f1.getFirst().eid(), () -> {});
        List<Frame> f2 = drain(t);
        t.close();
        apply(r, f2.subList(0, 1)); // the first frame of the resume's splice, then the connection broke
        for (int i = 6; i <= 8; i++) {
            put(b, "{\"id\":\"zz\",\"n\":" + i + "}"); // changes 6, 7, 8: three since T2 was sent
        }
        Subscription u = b.subscribe(top1.withWindow(afterB), f2.getFirst().eid(), () -> {});
        List<Frame> f3 = drain(u);
        assertThat(f3.getFirst().op()).as("%s", ops(f3)).isNotEqualTo(Frame.Op.RESET);
        assertThat(as(Frame.Ready.class, f3.getLast()).resumed()).isTrue();
        assertThat(apply(r, f3)).containsExactly("aa", "b");
        u.close();
    }

    /**
     * §3 "only the frames that turn its window into the current one": the client was cut inside a
     * reanchor holding nothing; since then row a was deleted. The splice should enter aa and b,
     * not enter a (a deleted row, which the client would briefly show) and leave it again.
     */
    @Test
    void resumeDoesNotSendRowsThatAreGone() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        for (String id : List.of("B", "a", "aa", "b")) {
            put(b, "{\"id\":\"" + id + "\"}");
        }
        Query top1 = q("{\"table\":\"t\",\"limit\":1}");
        Subscription s = b.subscribe(top1, null, () -> {});
        List<Frame> f0 = drain(s);
        Window afterB = new Window(as(Frame.Placed.class, f0.get(1)).cursor(), null, 2);
        s.reanchor(afterB);
        List<Frame> f1 = drain(s);
        s.close();
        Replica r = new Replica();
        apply(r, f0);
        apply(r, f1.subList(0, 1)); // "leave B", then the connection broke
        b.delete("t", "a", null);
        Subscription t = b.subscribe(top1.withWindow(afterB), f1.getFirst().eid(), () -> {});
        List<Frame> f2 = drain(t);
        assertThat(apply(r, f2)).containsExactly("aa", "b");
        assertThat(ops(f2))
                .containsExactly("enter aa@3 new=0", "enter b@4 new=1", "ready before=true after=false resumed=true");
        t.close();
    }

    /**
     * §3: a resume sends "no rows it already has". The client holds [b, a]; only a changed (its
     * new key sorts it first). One move of a does it; moving the unchanged b re-sends b.
     */
    @Test
    void resumeDoesNotResendUnchangedRows() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        Query query = q("{\"table\":\"t\",\"order\":[{\"field\":\"k\",\"dir\":\"desc\"}],\"limit\":2}");
        put(b, "{\"id\":\"a\"}");
        put(b, "{\"id\":\"b\",\"k\":null}");
        Subscription s = b.subscribe(query, null, () -> {});
        List<Frame> f = drain(s);
        assertThat(ops(f))
                .containsExactly(
                        "reset subscribe",
                        "enter b@2 new=0",
                        "enter a@1 new=1",
                        "ready before=false after=false resumed=false");
        s.close();
        put(b, "{\"id\":\"a\",\"k\":null}"); // a now ties with b on k and wins on id
        Subscription t = b.subscribe(query, f.getLast().eid(), () -> {});
        List<Frame> g = drain(t);
        Replica r = new Replica();
        apply(r, f);
        assertThat(apply(r, g)).containsExactly("a", "b");
        assertThat(ops(g)).containsExactly("move a@3 old=1 new=0", "ready before=false after=false resumed=true");
        t.close();
    }

    /** The horizon counts changes of the view's table (§3 "of that view"): other tables do not use it up. */
    @Test
    void otherTablesDoNotUseUpTheHorizon() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults().withHorizon(1, Duration.ZERO, 1));
        put(b, "{\"id\":\"a\"}");
        Query query = q("{\"table\":\"t\",\"limit\":5}");
        Subscription s = b.subscribe(query, null, () -> {});
        String eid = drain(s).getLast().eid();
        s.close();
        for (int i = 0; i < 5; i++) {
            b.put("u", "x" + i, obj("{\"id\":\"x" + i + "\"}"), null);
        }
        put(b, "{\"id\":\"b\"}");
        Subscription t = b.subscribe(query, eid, () -> {});
        assertThat(ops(drain(t))).containsExactly("enter b@2 new=1", "ready before=false after=false resumed=true");
        t.close();
    }

    /**
     * Same rule, from the middle of a reanchor: the client shrank its window from 3 rows to 1 and
     * was cut off after the first leave, holding [a, aa]. Then a moves out of the window. One
     * leave of a does it; leaving aa and entering it again re-sends a row the client holds.
     */
    @Test
    void resumeFromInsideAReanchorDoesNotResendUnchangedRows() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        Query top3 = q("{\"table\":\"t\",\"order\":[{\"field\":\"k\"}],\"limit\":3}");
        put(b, "{\"id\":\"a\"}");
        put(b, "{\"id\":\"aa\"}");
        put(b, "{\"id\":\"b\"}");
        Subscription s = b.subscribe(top3, null, () -> {});
        Replica r = new Replica();
        apply(r, drain(s));
        s.reanchor(new Window(null, null, 1));
        List<Frame> f = drain(s);
        assertThat(ops(f))
                .containsExactly("leave b@3 old=2", "leave aa@2 old=1", "ready before=false after=true resumed=false");
        s.close();
        apply(r, f.subList(0, 1)); // the connection broke after "leave b"
        assertThat(r.ids()).containsExactly("a", "aa");
        put(b, "{\"id\":\"a\",\"k\":null}"); // null sorts after missing: a leaves the top
        Subscription t = b.subscribe(
                top3.withWindow(new Window(null, null, 1)), f.getFirst().eid(), () -> {});
        List<Frame> g = drain(t);
        assertThat(apply(r, g)).containsExactly("aa");
        // (which version a leave carries is not specified: compare op, id and index only)
        assertThat(ops(g).stream().map(o -> o.replaceAll("@\\d+", "")))
                .containsExactly("leave a old=0", "ready before=false after=true resumed=true");
        t.close();
    }

    /** A token from an earlier life of the store (same secret, restarted) must not resume silently. */
    @Test
    void tokenFromAnotherBackendInstance() throws LiveQueryException {
        Backend first = backend(EngineOptions.defaults());
        put(first, "{\"id\":\"a\"}");
        put(first, "{\"id\":\"b\"}");
        Query query = q("{\"table\":\"t\",\"limit\":10}");
        Subscription s = first.subscribe(query, null, () -> {});
        List<Frame> f = drain(s);
        Replica r = new Replica();
        apply(r, f);
        s.close(); // the first server is gone; its history with it
        Backend second = backend(EngineOptions.defaults());
        put(second, "{\"id\":\"c\"}");
        put(second, "{\"id\":\"d\"}");
        Subscription t = second.subscribe(query, f.getLast().eid(), () -> {});
        List<Frame> g = drain(t);
        // §3: the backing store lost its history → reset epoch (or resume_miss); never a wrong splice
        assertThat(g.getFirst().op()).as("%s", ops(g)).isEqualTo(Frame.Op.RESET);
        assertThat(as(Frame.Reset.class, g.getFirst()).cause()).isIn("epoch", "resume_miss");
        assertThat(apply(r, g)).containsExactly("c", "d");
        t.close();
    }

    /** §6: a subscription whose queue passes max-queued gets one reset overflow plus a fresh snapshot. */
    @Test
    void overflowReplacesTheQueue() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults().withMaxQueued(2));
        Subscription s = b.subscribe(q("{\"table\":\"t\",\"limit\":10}"), null, () -> {});
        Replica r = new Replica();
        apply(r, drain(s));
        for (String id : List.of("a", "b", "c", "d", "e")) {
            put(b, "{\"id\":\"" + id + "\"}");
        }
        List<Frame> f = drain(s);
        assertThat(ops(f))
                .containsExactly(
                        "reset overflow",
                        "enter a@1 new=0",
                        "enter b@2 new=1",
                        "enter c@3 new=2",
                        "enter d@4 new=3",
                        "enter e@5 new=4",
                        "ready before=false after=false resumed=false");
        assertThat(apply(r, f)).containsExactly("a", "b", "c", "d", "e");
        s.close();
    }

    /** Backend javadoc: wakeup is called when the subscription goes from nothing to drain to something. */
    @Test
    void wakeupAfterAnEmptyQueue() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        int[] wakeups = {0};
        Subscription s = b.subscribe(q("{\"table\":\"t\",\"limit\":10}"), null, () -> wakeups[0]++);
        drain(s);
        assertThat(s.queued()).isZero();
        int before = wakeups[0];
        put(b, "{\"id\":\"a\"}");
        assertThat(s.queued()).isPositive();
        assertThat(wakeups[0]).isEqualTo(before + 1);
        s.close();
    }

    /** §2: a cursor is bound to its shape; using it with another is an error, not a silent default. */
    @Test
    void cursorOfAnotherShapeIsRefused() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        put(b, "{\"id\":\"a\",\"x\":1}");
        String cursor = b.query(q("{\"table\":\"t\",\"limit\":10}")).cursors().getFirst();
        Subscription s = b.subscribe(q("{\"table\":\"t\",\"where\":{\"x\":1},\"limit\":10}"), null, () -> {});
        assertThatThrownBy(() -> s.reanchor(new Window(cursor, null, 5)))
                .isInstanceOfSatisfying(
                        LiveQueryException.class,
                        e -> assertThat(e.code()).isEqualTo(LiveQueryException.Code.BAD_QUERY));
        assertThatThrownBy(() -> b.subscribe(
                        q("{\"table\":\"t\",\"where\":{\"x\":1},\"limit\":10,\"after\":\"" + cursor + "\"}"),
                        null,
                        () -> {}))
                .isInstanceOfSatisfying(
                        LiveQueryException.class,
                        e -> assertThat(e.code()).isEqualTo(LiveQueryException.Code.BAD_QUERY));
        assertThatThrownBy(() -> b.query(q("{\"table\":\"t\",\"limit\":10,\"after\":\"garbage\"}")))
                .isInstanceOfSatisfying(
                        LiveQueryException.class,
                        e -> assertThat(e.code()).isEqualTo(LiveQueryException.Code.BAD_QUERY));
        s.close();
    }

    /** §2: subscriptions of one shape share one view, however the shape is spelled; so do their cursors. */
    @Test
    void oneShapeOneViewWhateverTheSpelling() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        put(b, "{\"id\":\"x\",\"a\":1,\"b\":2,\"k\":5}");
        put(b, "{\"id\":\"y\",\"a\":1,\"b\":2,\"k\":7}");
        Subscription s1 = b.subscribe(
                q("{\"table\":\"t\",\"where\":{\"a\":1,\"b\":2},"
                        + "\"order\":[{\"field\":\"k\",\"dir\":\"desc\"}],\"limit\":1}"),
                null,
                () -> {});
        Subscription s2 =
                b.subscribe(Query.fromParams("t", "{\"b\":2,\"a\":1.0}", "-k", "1", null, null), null, () -> {});
        assertThat(s1.query().shape()).isEqualTo(s2.query().shape());
        assertThat(b.gauges().get("views")).isEqualTo(1L);
        List<Frame> f1 = drain(s1);
        drain(s2);
        s2.reanchor(new Window(as(Frame.Placed.class, f1.get(1)).cursor(), null, 5)); // a cursor of s1 works for s2
        assertThat(ops(drain(s2)))
                .containsExactly("leave y@2 old=0", "enter x@1 new=0", "ready before=true after=false resumed=false");
        s1.close();
        s2.close();
    }

    /** Subscription javadoc: close drops what is queued and is idempotent; a closed subscription gets nothing more. */
    @Test
    void closeDropsTheQueueAndIsIdempotent() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        Subscription s = b.subscribe(q("{\"table\":\"t\",\"limit\":5}"), null, () -> {});
        drain(s);
        put(b, "{\"id\":\"a\"}");
        s.close();
        s.close();
        put(b, "{\"id\":\"b\"}");
        assertThat(drain(s)).isEmpty();
        assertThat(s.queued()).isZero();
        assertThat(b.gauges().get("subscriptions")).isZero();
    }

    /** Backend javadoc: a batch is validated before anything is written; a failed write changes nothing. */
    @Test
    void failedBatchChangesNothing() throws LiveQueryException {
        Backend b = backend(EngineOptions.defaults());
        put(b, "{\"id\":\"a\"}");
        Subscription s = b.subscribe(q("{\"table\":\"t\",\"limit\":10}"), null, () -> {});
        drain(s);
        assertThatThrownBy(() -> b.batch("t", List.of(obj("{\"id\":\"b\"}")), List.of("nope")))
                .isInstanceOf(LiveQueryException.class);
        assertThat(drain(s)).isEmpty();
        assertThat(b.query(q("{\"table\":\"t\",\"limit\":10}")).rows().stream().map(Row::id))
                .containsExactly("a");
        s.close();
    }
}
