package dev.livequery.core;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * A generated test case: engine settings, a few shapes, initial rows and subscriptions, then a
 * list of actions. Every action holds small integers that {@link OracleRun} resolves against the
 * state at the time (ids, clients and cursors are picked modulo what exists), so any sub-list
 * of actions is still a valid scenario and jqwik can shrink freely.
 */
record OracleScenario(int ids, int maxQueued, int horizon, boolean eagerDrain, List<ShapePick> shapes,
        List<Put> initialRows, List<Subscribe> initialSubs, List<Act> acts) {

    // ---- the data the scenarios draw from ---------------------------------------------------------

    /** Row ids: "a\uFFFD" < "a😀" in code-point order but not in UTF-16 order; "10" < "9"; "B" < "a". */
    static final String[] IDS = {"a", "b", "B", "aa", "a\uFFFD", "a\uD83D\uDE00", "10", "9"};

    /**
     * Values of the sortable fields a, b, c as JSON text; index 0 is "absent". The first seven are
     * drawn more often so that rows tie a lot. 1, 1.0 and 1e0 are equal; 2^53 and 2^53+1 are not;
     * "\uFFFD" < "😀" by code point; objects and arrays sort as missing.
     */
    static final String[] VALUES = {
        null, "null", "true", "1", "1.0", "\"a\"", "\"b\"",
        "false", "0", "-0.0", "1e0", "-1", "2.5", "0.1",
        "9007199254740992", "9007199254740993", "12345678901234567890", "12345678901234567891", "1e400",
        "\"\"", "\"ab\"", "\"a\uFFFD\"", "\"a\uD83D\uDE00\"", "\"\uFFFD\"", "\"\uD83D\uDE00\"", "\"A\"",
        "{\"x\":1}", "[1]", "[]",
    };
    static final int HOT_VALUES = 7;

    /** Actions per scenario; {@code -Dlivequery.oracle.maxActions=200} for long, deep runs. */
    static final int MAX_ACTS = Integer.getInteger("livequery.oracle.maxActions", 50);

    /** where clauses (JSON), every operator of §2 incl. a top-level or. */
    static final String[] WHERES = {
        "{}",
        "{\"a\": 1}",
        "{\"a\": {\"ne\": null}}",
        "{\"b\": {\"gte\": 0, \"lt\": 3}}",
        "{\"b\": {\"gt\": \"a\"}}",
        "{\"a\": {\"in\": [1, \"a\", null, true, 9007199254740993]}}",
        "{\"c\": {\"prefix\": \"a\"}}",
        "{\"c\": {\"exists\": true}}",
        "{\"c\": {\"exists\": false}}",
        "{\"or\": [{\"a\": 1}, {\"b\": {\"lte\": false}}], \"c\": {\"ne\": \"b\"}}",
        "{\"a\": {\"lte\": 9007199254740992}}",
        "{\"b\": null}",
        "{\"a\": {\"gte\": \"\", \"lt\": \"b\"}}",
        "{\"p\": {\"gte\": 2}}",
        // eq/in terms are what the engine routes changes by: exercise equal-but-differently-written numbers
        "{\"b\": {\"in\": [0, 2.5, \"b\", false]}}",
        "{\"a\": 12345678901234567890}",
        "{\"or\": [{\"a\": {\"in\": [1.0, \"a\"]}}, {\"b\": 1e0}]}",
        "{\"a\": {\"gte\": 1e0, \"lte\": 1.0}, \"b\": {\"ne\": \"a\"}}",
        "{\"c\": {\"prefix\": \"\"}, \"a\": {\"in\": [null, true, \"b\"]}}",
    };

    /** order keys (JSON); id ascending is always the final tiebreak. */
    static final String[] ORDERS = {
        "[]",
        "[{\"field\": \"a\"}]",
        "[{\"field\": \"a\", \"dir\": \"desc\"}]",
        "[{\"field\": \"a\"}, {\"field\": \"b\", \"dir\": \"desc\"}]",
        "[{\"field\": \"b\", \"dir\": \"desc\"}, {\"field\": \"c\"}, {\"field\": \"a\"}]",
        "[{\"field\": \"c\", \"dir\": \"desc\"}]",
    };

    // ---- actions ----------------------------------------------------------------------------------

    record ShapePick(int where, int order) {
    }

    sealed interface Act {
    }

    /** Replace row ids[id]; a, b, c index {@link #VALUES}; p is a payload 0..3; ifMatch 0 none, 1 right, 2 wrong. */
    record Put(int id, int a, int b, int c, int p, int ifMatch) implements Act {
    }

    /** Merge fields: 0 leaves a field alone, 1 (null) removes it, else sets VALUES[k] (p: k-2). */
    record Patch(int id, int a, int b, int c, int p) implements Act {
    }

    record Delete(int id) implements Act {
    }

    record Batch(List<Put> upserts, List<Integer> deletes) implements Act {
    }

    /** anchor 0 top, 1 after, 2 before a cursor picked from those the shape has seen. */
    record Subscribe(int shape, int anchor, int cursor, int limit) implements Act {
    }

    record Reanchor(int client, int anchor, int cursor, int limit) implements Act {
    }

    /** Drain at most max frames (a partial read by the transport). */
    record Drain(int client, int max) implements Act {
    }

    record DrainAll() implements Act {
    }

    /**
     * The client takes up to {@code cut} more frames, is cut off, and subscribes again with a
     * resume token: token 0 its last eid, 1 an earlier eid of its own, 5 an earlier eid of a row
     * frame (mid-snapshot or mid-change), 2 an eid of another client of the same shape, 3 a
     * garbled eid, 4 an eid from another shape. window 0 the token's
     * window, 1 the client's current window, 2 a new one (a reanchor over resume). fork keeps the
     * old subscription open too (two gateways).
     */
    record Reconnect(int client, int cut, int token, int pick, int window, int anchor, int limit, boolean fork)
            implements Act {
    }

    record OneShot(int shape, int anchor, int cursor, int limit) implements Act {
    }

    // ---- generators -------------------------------------------------------------------------------

    static Arbitrary<OracleScenario> scenarios() {
        Arbitrary<Integer> ids = Arbitraries.integers().between(2, IDS.length);
        Arbitrary<Integer> queue = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(0)), Tuple.of(2, Arbitraries.integers().between(1, 4)));
        Arbitrary<Integer> horizon = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 4)));
        // unfiltered shapes more often: full windows make moves and boundary crossings likelier
        Arbitrary<ShapePick> shape = Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0)),
                        Tuple.of(2, Arbitraries.integers().between(0, WHERES.length - 1))),
                Arbitraries.integers().between(0, ORDERS.length - 1)).as(ShapePick::new);
        return Combinators.combine(ids, queue, horizon, Arbitraries.of(true, false),
                shape.list().ofMinSize(1).ofMaxSize(3),
                put().list().ofMaxSize(8),
                subscribe().list().ofMinSize(1).ofMaxSize(4),
                act().list().ofMaxSize(MAX_ACTS)).as(OracleScenario::new);
    }

    private static Arbitrary<Integer> value() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.integers().between(0, HOT_VALUES - 1)),
                Tuple.of(2, Arbitraries.integers().between(0, VALUES.length - 1)));
    }

    private static Arbitrary<Integer> small() {
        return Arbitraries.integers().between(0, 99);
    }

    private static Arbitrary<Integer> limit() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(1)), Tuple.of(5, Arbitraries.integers().between(2, 4)),
                Tuple.of(1, Arbitraries.integers().between(5, 10)));
    }

    private static Arbitrary<Integer> anchor() {
        return Arbitraries.integers().between(0, 2);
    }

    static Arbitrary<Put> put() {
        return Combinators.combine(small(), value(), value(), value(), Arbitraries.integers().between(0, 3),
                Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.just(0)), Tuple.of(1, Arbitraries.just(1)),
                        Tuple.of(1, Arbitraries.just(2)))).as(Put::new);
    }

    static Arbitrary<Subscribe> subscribe() {
        return Combinators.combine(small(), anchor(), small(), limit()).as(Subscribe::new);
    }

    static Arbitrary<Act> act() {
        Arbitrary<Patch> patch = Combinators.combine(small(), value(), value(), value(),
                Arbitraries.integers().between(0, 5)).as(Patch::new);
        Arbitrary<Delete> delete = small().map(Delete::new);
        Arbitrary<Batch> batch = Combinators.combine(put().list().ofMaxSize(3), small().list().ofMaxSize(2))
                .as(Batch::new);
        Arbitrary<Reanchor> reanchor = Combinators.combine(small(), anchor(), small(), limit()).as(Reanchor::new);
        Arbitrary<Drain> drain = Combinators.combine(small(), Arbitraries.integers().between(1, 3)).as(Drain::new);
        Arbitrary<Reconnect> reconnect = Combinators.combine(small(), Arbitraries.integers().between(0, 3),
                Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(0)), Tuple.of(3, Arbitraries.just(1)),
                        Tuple.of(3, Arbitraries.just(5)), Tuple.of(2, Arbitraries.just(2)),
                        Tuple.of(1, Arbitraries.just(3)), Tuple.of(1, Arbitraries.just(4))),
                small(), Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(0)), Tuple.of(1, Arbitraries.just(1)),
                        Tuple.of(1, Arbitraries.just(2))),
                anchor(), limit(), Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(false)),
                        Tuple.of(1, Arbitraries.just(true))))
                .as(Reconnect::new);
        Arbitrary<OneShot> oneShot = Combinators.combine(small(), anchor(), small(), limit()).as(OneShot::new);
        return Arbitraries.frequencyOf(
                Tuple.of(6, put().map(p -> (Act) p)),
                Tuple.of(4, patch.map(p -> (Act) p)),
                Tuple.of(3, delete.map(p -> (Act) p)),
                Tuple.of(2, batch.map(p -> (Act) p)),
                Tuple.of(1, subscribe().map(p -> (Act) p)),
                Tuple.of(2, reanchor.map(p -> (Act) p)),
                Tuple.of(2, drain.map(p -> (Act) p)),
                Tuple.of(1, Arbitraries.just((Act) new DrainAll())),
                Tuple.of(3, reconnect.map(p -> (Act) p)),
                Tuple.of(1, oneShot.map(p -> (Act) p)));
    }
}
