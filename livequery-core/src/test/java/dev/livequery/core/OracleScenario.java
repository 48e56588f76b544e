package dev.livequery.core;

import static dev.livequery.testkit.Gen.weight;

import dev.livequery.testkit.Gen;
import java.util.List;

/**
 * A generated test case: engine settings, a few shapes, initial rows and subscriptions, then a
 * list of actions. Every action holds small integers that {@link OracleRun} resolves against the
 * state at the time (ids, clients and cursors are picked modulo what exists), so any sub-list
 * of actions is still a valid scenario and the shrinker can drop any of them.
 */
record OracleScenario(
        int ids,
        int maxQueued,
        int horizon,
        boolean eagerDrain,
        List<ShapePick> shapes,
        List<Put> initialRows,
        List<Subscribe> initialSubs,
        List<Act> acts) {

    // ---- the data the scenarios draw from ---------------------------------------------------------

    /** Row ids: "a\uFFFD" < "a😀" in code-point order but not in UTF-16 order; "10" < "9"; "B" < "a". */
    static final String[] IDS = {"a", "b", "B", "aa", "a\uFFFD", "a\uD83D\uDE00", "10", "9"};

    /**
     * Values of the sortable fields a, b, c as JSON text; index 0 is "absent". The first seven are
     * drawn more often so that rows tie a lot. 1, 1.0 and 1e0 are equal; 2^53 and 2^53+1 are not;
     * "\uFFFD" < "😀" by code point; objects and arrays sort as missing.
     */
    static final String[] VALUES = {
        null,
        "null",
        "true",
        "1",
        "1.0",
        "\"a\"",
        "\"b\"",
        "false",
        "0",
        "-0.0",
        "1e0",
        "-1",
        "2.5",
        "0.1",
        "9007199254740992",
        "9007199254740993",
        "12345678901234567890",
        "12345678901234567891",
        "1e400",
        "\"\"",
        "\"ab\"",
        "\"a\uFFFD\"",
        "\"a\uD83D\uDE00\"",
        "\"\uFFFD\"",
        "\"\uD83D\uDE00\"",
        "\"A\"",
        "{\"x\":1}",
        "[1]",
        "[]",
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

    record ShapePick(int where, int order) {}

    sealed interface Act {}

    /** Replace row ids[id]; a, b, c index {@link #VALUES}; p is a payload 0..3; ifMatch 0 none, 1 right, 2 wrong. */
    record Put(int id, int a, int b, int c, int p, int ifMatch) implements Act {}

    /** Merge fields: 0 leaves a field alone, 1 (null) removes it, else sets VALUES[k] (p: k-2). */
    record Patch(int id, int a, int b, int c, int p) implements Act {}

    record Delete(int id) implements Act {}

    record Batch(List<Put> upserts, List<Integer> deletes) implements Act {}

    /** anchor 0 top, 1 after, 2 before a cursor picked from those the shape has seen. */
    record Subscribe(int shape, int anchor, int cursor, int limit) implements Act {}

    record Reanchor(int client, int anchor, int cursor, int limit) implements Act {}

    /** Drain at most max frames (a partial read by the transport). */
    record Drain(int client, int max) implements Act {}

    record DrainAll() implements Act {}

    /**
     * The client takes up to {@code cut} more frames, is cut off, and subscribes again with a
     * resume token: token 0 its last eid, 1 an earlier eid of its own, 5 an earlier eid of a row
     * frame (mid-snapshot or mid-change), 2 an eid of another client of the same shape, 3 a
     * garbled eid, 4 an eid from another shape. window 0 the token's
     * window, 1 the client's current window, 2 a new one (a reanchor over resume). fork keeps the
     * old subscription open too (two gateways).
     */
    record Reconnect(int client, int cut, int token, int pick, int window, int anchor, int limit, boolean fork)
            implements Act {}

    record OneShot(int shape, int anchor, int cursor, int limit) implements Act {}

    // ---- generators -------------------------------------------------------------------------------

    /** Alternatives are listed simplest first: shrinking goes toward the first. */
    static Gen<OracleScenario> scenarios() {
        Gen<Integer> ids = Gen.ints(2, IDS.length);
        Gen<Integer> queue = Gen.frequency(weight(3, Gen.constant(0)), weight(2, Gen.ints(1, 4)));
        Gen<Integer> horizon = Gen.frequency(weight(3, Gen.constant(0)), weight(1, Gen.ints(1, 4)));
        // unfiltered shapes more often: full windows make moves and boundary crossings likelier
        Gen<Integer> where = Gen.frequency(weight(1, Gen.constant(0)), weight(2, Gen.ints(0, WHERES.length - 1)));
        Gen<Integer> order = Gen.ints(0, ORDERS.length - 1);
        Gen<List<ShapePick>> shapes =
                ((Gen<ShapePick>) s -> new ShapePick(where.generate(s), order.generate(s))).list(1, 3);
        Gen<List<Put>> rows = put().list(0, 8);
        Gen<List<Subscribe>> subs = subscribe().list(1, 4);
        Gen<List<Act>> acts = act().list(0, MAX_ACTS);
        return s -> new OracleScenario(
                ids.generate(s),
                queue.generate(s),
                horizon.generate(s),
                s.bool(),
                shapes.generate(s),
                rows.generate(s),
                subs.generate(s),
                acts.generate(s));
    }

    private static final Gen<Integer> VALUE =
            Gen.frequency(weight(3, Gen.ints(0, HOT_VALUES - 1)), weight(2, Gen.ints(0, VALUES.length - 1)));
    private static final Gen<Integer> SMALL = Gen.ints(0, 99);
    private static final Gen<Integer> LIMIT =
            Gen.frequency(weight(2, Gen.constant(1)), weight(5, Gen.ints(2, 4)), weight(1, Gen.ints(5, 10)));
    private static final Gen<Integer> ANCHOR = Gen.ints(0, 2);

    static Gen<Put> put() {
        Gen<Integer> ifMatch =
                Gen.frequency(weight(8, Gen.constant(0)), weight(1, Gen.constant(1)), weight(1, Gen.constant(2)));
        Gen<Integer> payload = Gen.ints(0, 3);
        return s -> new Put(
                SMALL.generate(s),
                VALUE.generate(s),
                VALUE.generate(s),
                VALUE.generate(s),
                payload.generate(s),
                ifMatch.generate(s));
    }

    static Gen<Subscribe> subscribe() {
        return s -> new Subscribe(SMALL.generate(s), ANCHOR.generate(s), SMALL.generate(s), LIMIT.generate(s));
    }

    static Gen<Act> act() {
        Gen<Integer> patchP = Gen.ints(0, 5);
        Gen<Patch> patch = s -> new Patch(
                SMALL.generate(s), VALUE.generate(s), VALUE.generate(s), VALUE.generate(s), patchP.generate(s));
        Gen<Delete> delete = SMALL.map(Delete::new);
        Gen<List<Put>> batchPuts = put().list(0, 3);
        Gen<List<Integer>> batchDeletes = SMALL.list(0, 2);
        Gen<Batch> batch = s -> new Batch(batchPuts.generate(s), batchDeletes.generate(s));
        Gen<Reanchor> reanchor =
                s -> new Reanchor(SMALL.generate(s), ANCHOR.generate(s), SMALL.generate(s), LIMIT.generate(s));
        Gen<Integer> max = Gen.ints(1, 3);
        Gen<Drain> drain = s -> new Drain(SMALL.generate(s), max.generate(s));
        Gen<Integer> cut = Gen.ints(0, 3);
        Gen<Integer> token = Gen.frequency(
                weight(3, Gen.constant(0)),
                weight(3, Gen.constant(1)),
                weight(3, Gen.constant(5)),
                weight(2, Gen.constant(2)),
                weight(1, Gen.constant(3)),
                weight(1, Gen.constant(4)));
        Gen<Integer> window =
                Gen.frequency(weight(4, Gen.constant(0)), weight(1, Gen.constant(1)), weight(1, Gen.constant(2)));
        Gen<Boolean> fork = Gen.frequency(weight(4, Gen.constant(false)), weight(1, Gen.constant(true)));
        Gen<Reconnect> reconnect = s -> new Reconnect(
                SMALL.generate(s),
                cut.generate(s),
                token.generate(s),
                SMALL.generate(s),
                window.generate(s),
                ANCHOR.generate(s),
                LIMIT.generate(s),
                fork.generate(s));
        Gen<OneShot> oneShot =
                s -> new OneShot(SMALL.generate(s), ANCHOR.generate(s), SMALL.generate(s), LIMIT.generate(s));
        return Gen.frequency(
                weight(6, put()),
                weight(4, patch),
                weight(3, delete),
                weight(2, batch),
                weight(1, subscribe()),
                weight(2, reanchor),
                weight(2, drain),
                weight(1, Gen.constant(new DrainAll())),
                weight(3, reconnect),
                weight(1, oneShot));
    }
}
