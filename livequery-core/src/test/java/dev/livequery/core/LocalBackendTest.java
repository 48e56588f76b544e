package dev.livequery.core;

import static dev.livequery.core.Fixtures.as;
import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.fails;
import static dev.livequery.core.Fixtures.ids;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static dev.livequery.core.LiveQueryException.Code.BAD_REQUEST;
import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.UNKNOWN_TABLE;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PROTOCOL §1 (rows, versions) and §7 (write API semantics) against the embedded backend. */
class LocalBackendTest {
    LocalBackend b;
    Subscription watcher;

    @BeforeEach
    void setUp() throws Exception {
        b = new LocalBackend(EngineOptions.defaults());
        watcher = b.subscribe(query("{'table':'t','limit':100}"), null, () -> {});
        assertThat(d(drain(watcher))).containsExactly("reset subscribe", "ready before=false after=false");
    }

    /** Every row of table t as id → JSON text with version, for "nothing changed" checks. */
    Map<String, String> snapshot() throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (Row r : b.query(query("{'table':'t','limit':1000}")).rows()) {
            m.put(r.id(), r.version() + " " + r.json());
        }
        return m;
    }

    void assertNoFrames() {
        assertThat(d(drain(watcher))).as("frames after a refused write").isEmpty();
    }

    // ---- versions -------------------------------------------------------------------------------

    @Test
    void putCreatesAndReplacesWithStrictlyIncreasingVersions() throws Exception {
        WriteResult w1 = b.put("t", "a", obj("{'x':1,'y':2}"), null);
        assertThat(w1.id()).isEqualTo("a");
        assertThat(w1.deleted()).isFalse();
        assertThat(w1.version()).isPositive();
        b.put("t", "other", obj("{}"), null);
        WriteResult w2 = b.put("t", "a", obj("{'x':3}"), null);
        WriteResult w3 = b.put("t", "a", obj("{'x':3}"), null);
        assertThat(w2.version()).isGreaterThan(w1.version());
        assertThat(w3.version()).as("an identical write is a write").isGreaterThan(w2.version());
        Row r = b.get("t", "a");
        assertThat(r.version()).isEqualTo(w3.version());
        assertThat(r.json()).as("put replaces, id first").isEqualTo("{\"id\":\"a\",\"x\":3}");
    }

    @Test
    void deleteGetsAVersionAndAReinsertAHigherOne() throws Exception {
        long v1 = b.put("t", "a", obj("{'x':1}"), null).version();
        WriteResult del = b.delete("t", "a", null);
        assertThat(del).isEqualTo(new WriteResult("a", del.version(), true));
        assertThat(del.version()).isGreaterThan(v1);
        fails(NOT_FOUND, () -> b.get("t", "a"));
        long v3 = b.put("t", "a", obj("{'x':2}"), null).version();
        assertThat(v3).isGreaterThan(del.version());
        assertThat(d(drain(watcher))).containsExactly("enter a@0", "leave a@0", "enter a@0");
    }

    @Test
    void leaveOfADeleteCarriesTheDeleteVersion() throws Exception {
        b.put("t", "a", obj("{}"), null);
        drain(watcher);
        long v = b.delete("t", "a", null).version();
        List<Frame> fs = drain(watcher);
        assertThat(d(fs)).containsExactly("leave a@0");
        assertThat(as(Frame.RowFrame.class, fs.get(0)).version()).isEqualTo(v);
    }

    @Test
    void frameVersionsMatchWriteResults() throws Exception {
        long v1 = b.put("t", "a", obj("{}"), null).version();
        long v2 = b.put("t", "a", obj("{'z':1}"), null).version();
        List<Frame> fs = drain(watcher);
        assertThat(d(fs)).containsExactly("enter a@0", "update a@0");
        assertThat(as(Frame.RowFrame.class, fs.get(0)).version()).isEqualTo(v1);
        assertThat(as(Frame.RowFrame.class, fs.get(1)).version()).isEqualTo(v2);
        assertThat(as(Frame.Placed.class, fs.get(1)).row().json()).isEqualTo("{\"id\":\"a\",\"z\":1}");
    }

    // ---- If-Match -------------------------------------------------------------------------------

    @Test
    void ifMatchOnPut() throws Exception {
        long v1 = b.put("t", "a", obj("{'x':1}"), null).version();
        drain(watcher);
        Map<String, String> before = snapshot();
        LiveQueryException e = fails(VERSION_MISMATCH, () -> b.put("t", "a", obj("{'x':2}"), v1 + 1));
        assertThat(e.getMessage()).contains("at version " + v1).contains("not at version " + (v1 + 1));
        fails(VERSION_MISMATCH, () -> b.put("t", "a", obj("{'x':2}"), 0L));
        assertThat(snapshot()).isEqualTo(before);
        assertNoFrames();
        long v2 = b.put("t", "a", obj("{'x':2}"), v1).version();
        assertThat(v2).isGreaterThan(v1);
        fails(VERSION_MISMATCH, () -> b.put("t", "a", obj("{'x':3}"), v1));
        assertThat(b.get("t", "a").json()).isEqualTo("{\"id\":\"a\",\"x\":2}");
    }

    @Test
    void ifMatchOnAnAbsentRowIsAMismatch() throws Exception {
        assertThat(fails(VERSION_MISMATCH, () -> b.put("t", "new", obj("{}"), 1L))
                        .getMessage())
                .contains("absent");
        fails(NOT_FOUND, () -> b.get("t", "new"));
        long v = b.put("t", "gone", obj("{}"), null).version();
        b.delete("t", "gone", null);
        drain(watcher);
        fails(VERSION_MISMATCH, () -> b.put("t", "gone", obj("{}"), v));
        fails(NOT_FOUND, () -> b.get("t", "gone"));
        assertNoFrames();
    }

    @Test
    void ifMatchOnPatchAndDelete() throws Exception {
        long v = b.put("t", "a", obj("{'x':1}"), null).version();
        drain(watcher);
        fails(VERSION_MISMATCH, () -> b.patch("t", "a", obj("{'x':2}"), v + 100));
        fails(VERSION_MISMATCH, () -> b.delete("t", "a", v - 1));
        assertThat(b.get("t", "a").version()).isEqualTo(v);
        assertNoFrames();
        long v2 = b.patch("t", "a", obj("{'x':2}"), v).version();
        assertThat(b.delete("t", "a", v2).version()).isGreaterThan(v2);
    }

    // ---- patch ----------------------------------------------------------------------------------

    @Test
    void patchMergesTopLevelFieldsAndNullRemoves() throws Exception {
        long v1 = b.put("t", "a", obj("{'keep':1,'drop':2,'o':{'a':1,'b':2},'n':5}"), null)
                .version();
        WriteResult w = b.patch("t", "a", obj("{'drop':null,'o':{'b':3},'n':6,'added':[1,{'x':null}]}"), null);
        assertThat(w.version()).isGreaterThan(v1);
        assertThat(w.deleted()).isFalse();
        Row r = b.get("t", "a");
        assertThat(r.version()).isEqualTo(w.version());
        assertThat(r.data()).isEqualTo(obj("{'id':'a','keep':1,'o':{'b':3},'n':6,'added':[1,{'x':null}]}"));
        assertThat(r.data().has("drop")).isFalse();
        assertThat(r.data().fieldNames().next()).isEqualTo("id");
        // removing an absent field and an empty patch are still writes
        long v3 = b.patch("t", "a", obj("{'never':null}"), null).version();
        long v4 = b.patch("t", "a", obj("{}"), null).version();
        assertThat(v4).isGreaterThan(v3).isGreaterThan(w.version());
        assertThat(b.get("t", "a").data()).isEqualTo(r.data());
    }

    @Test
    void patchOnAnAbsentRowIsNotFound() throws Exception {
        assertThat(fails(NOT_FOUND, () -> b.patch("t", "nope", obj("{'x':1}"), null))
                        .getMessage())
                .contains("nope");
        fails(NOT_FOUND, () -> b.get("t", "nope"));
        b.put("t", "gone", obj("{}"), null);
        b.delete("t", "gone", null);
        drain(watcher);
        fails(NOT_FOUND, () -> b.patch("t", "gone", obj("{'x':1}"), null));
        assertNoFrames();
    }

    @Test
    void patchCannotChangeTheId() throws Exception {
        b.put("t", "a", obj("{'x':1}"), null);
        drain(watcher);
        Map<String, String> before = snapshot();
        assertThat(fails(BAD_REQUEST, () -> b.patch("t", "a", obj("{'id':'b'}"), null))
                        .getMessage())
                .contains("id");
        fails(BAD_REQUEST, () -> b.patch("t", "a", obj("{'id':null}"), null));
        fails(BAD_REQUEST, () -> b.patch("t", "a", obj("{'id':1,'x':2}"), null));
        assertThat(snapshot()).isEqualTo(before);
        assertNoFrames();
        b.patch("t", "a", obj("{'id':'a','x':2}"), null);
        assertThat(b.get("t", "a").json()).isEqualTo("{\"id\":\"a\",\"x\":2}");
        fails(NOT_FOUND, () -> b.get("t", "b"));
    }

    // ---- delete / get ---------------------------------------------------------------------------

    @Test
    void deleteOrGetOfAnAbsentRowIsNotFound() throws Exception {
        assertThat(fails(NOT_FOUND, () -> b.delete("t", "nope", null)).getMessage())
                .contains("nope");
        assertThat(fails(NOT_FOUND, () -> b.get("t", "nope")).getMessage()).contains("nope");
        b.put("t", "a", obj("{}"), null);
        b.delete("t", "a", null);
        drain(watcher);
        fails(NOT_FOUND, () -> b.delete("t", "a", null));
        fails(NOT_FOUND, () -> b.get("t", "a"));
        fails(NOT_FOUND, () -> b.get("never_written", "a"));
        assertNoFrames();
    }

    @Test
    void nestedValuesAreStoredAndReturnedAsWritten() throws Exception {
        ObjectNode row = obj("{'n':{'deep':[1,2.50,{'x':1e400}]},'f':1.0,'big':9007199254740993,'e':1E+2}");
        b.put("t", "a", row, null);
        Row r = b.get("t", "a");
        assertThat(r.json())
                .isEqualTo("{\"id\":\"a\",\"n\":{\"deep\":[1,2.50,{\"x\":1E+400}]},\"f\":1.0,"
                        + "\"big\":9007199254740993,\"e\":1E+2}");
    }

    // ---- batch ----------------------------------------------------------------------------------

    @Test
    void batchUpsertsThenDeletesAndReturnsVersions() throws Exception {
        long va = b.put("t", "a", obj("{'x':1}"), null).version();
        b.put("t", "d", obj("{}"), null);
        drain(watcher);
        List<WriteResult> out = b.batch("t", List.of(obj("{'id':'a','x':2}"), obj("{'id':'b','x':3}")), List.of("d"));
        assertThat(out).extracting(WriteResult::id).containsExactly("a", "b", "d");
        assertThat(out).extracting(WriteResult::deleted).containsExactly(false, false, true);
        assertThat(out.get(0).version()).isGreaterThan(va);
        assertThat(out.get(1).version()).isGreaterThan(out.get(0).version());
        assertThat(out.get(2).version()).isGreaterThan(out.get(1).version());
        assertThat(b.get("t", "a").version()).isEqualTo(out.get(0).version());
        assertThat(b.get("t", "a").json()).isEqualTo("{\"id\":\"a\",\"x\":2}");
        assertThat(b.get("t", "b").version()).isEqualTo(out.get(1).version());
        fails(NOT_FOUND, () -> b.get("t", "d"));
        assertThat(d(drain(watcher))).containsExactly("update a@0", "enter b@1", "leave d@2");
        assertThat(b.batch("t", List.of(), List.of())).isEmpty();
    }

    @Test
    void batchWithOneBadRowChangesNothing() throws Exception {
        b.put("t", "a", obj("{'x':1}"), null);
        b.put("t", "d", obj("{'x':1}"), null);
        drain(watcher);
        Map<String, String> before = snapshot();
        List<List<ObjectNode>> bad = List.of(
                List.of(obj("{'id':'n1'}"), obj("{'x':1}")), // no id
                List.of(obj("{'id':'n1'}"), obj("{'id':7}")), // non-string id
                List.of(obj("{'id':'n1'}"), obj("{'id':''}")), // empty id
                List.of(obj("{'id':'n1'}"), obj("{'id':'a\\u0000b'}")), // control character
                List.of(obj("{'id':'n1'}"), obj("{'id':'" + "x".repeat(129) + "'}")),
                List.of(obj("{'id':'a','x':2}"), obj("{'id':'n1'}"), obj("{'id':'a','x':3}"))); // duplicate
        for (List<ObjectNode> ups : bad) {
            fails(BAD_REQUEST, () -> b.batch("t", ups, List.of("d")));
            assertThat(snapshot()).as("after %s", ups).isEqualTo(before);
        }
        assertNoFrames();
    }

    @Test
    void batchWithOneDeleteOfAnAbsentIdChangesNothing() throws Exception {
        b.put("t", "a", obj("{'x':1}"), null);
        b.put("t", "d", obj("{'x':1}"), null);
        drain(watcher);
        Map<String, String> before = snapshot();
        LiveQueryException e = fails(
                NOT_FOUND,
                () -> b.batch("t", List.of(obj("{'id':'a','x':2}"), obj("{'id':'new'}")), List.of("d", "absent")));
        assertThat(e.getMessage()).contains("absent").contains("nothing in the batch was applied");
        assertThat(snapshot()).isEqualTo(before);
        fails(NOT_FOUND, () -> b.get("t", "new"));
        assertNoFrames();
        // the next write still gets a version above everything before
        long max = before.values().stream()
                .mapToLong(s -> Long.parseLong(s.split(" ")[0]))
                .max()
                .orElseThrow();
        assertThat(b.put("t", "z", obj("{}"), null).version()).isGreaterThan(max);
    }

    @Test
    void numbersWithAnAbsurdExponentAreABadRequest() throws Exception {
        b.put("t", "a", obj("{'x':1}"), null);
        drain(watcher);
        Map<String, String> before = snapshot();
        for (String bad : new String[] {"1e-10001", "-1e999999999", "0e-20000", "[1, {'y':1e-999999999}]"}) {
            assertThat(fails(BAD_REQUEST, () -> b.put("t", "b", obj("{'x':" + bad + "}"), null))
                            .getMessage())
                    .as(bad)
                    .contains("field 'x'", "number out of range");
            fails(BAD_REQUEST, () -> b.patch("t", "a", obj("{'x':" + bad + "}"), null));
            fails(BAD_REQUEST, () -> b.batch("t", List.of(obj("{'id':'b','x':" + bad + "}")), List.of()));
        }
        assertThat(snapshot()).isEqualTo(before);
        assertNoFrames();
        // the bounds themselves, and integers of any exponent their digits allow
        b.put("t", "b", obj("{'x':1e-10000,'y':-9.99e10000,'z':0.0e-9998,'w':1" + "0".repeat(900) + "}"), null);
    }

    /** Fed rows (a shard's, a source's) are not refused; such numbers still sort at once. */
    @Test
    void fedNumbersWithAnAbsurdExponentSortExactly() throws Exception {
        Engine e = new Engine(EngineOptions.defaults());
        Subscription s = e.subscribe(query("{'table':'f','order':[{'field':'x'}],'limit':10}"), null, () -> {});
        e.ingest("f", "tiny", obj("{'x':1e-999999999}"), 1);
        e.ingest("f", "neg", obj("{'x':-1e-999999999}"), 2);
        e.ingest("f", "half", obj("{'x':0.5}"), 3);
        e.ingest("f", "zero", obj("{'x':0}"), 4);
        assertThat(ids(e.query(query("{'table':'f','order':[{'field':'x'}],'limit':10}"))))
                .containsExactly("neg", "zero", "tiny", "half");
        s.close();
        e.close();
    }

    @Test
    void duplicateIdsInABatchAreABadRequest() throws Exception {
        b.put("t", "a", obj("{}"), null);
        drain(watcher);
        Map<String, String> before = snapshot();
        assertThat(fails(BAD_REQUEST, () -> b.batch("t", List.of(obj("{'id':'x'}"), obj("{'id':'x'}")), List.of()))
                        .getMessage())
                .contains("'x' appears twice");
        fails(BAD_REQUEST, () -> b.batch("t", List.of(obj("{'id':'a'}")), List.of("a")));
        fails(BAD_REQUEST, () -> b.batch("t", List.of(), List.of("a", "a")));
        assertThat(snapshot()).isEqualTo(before);
        assertNoFrames();
    }

    @Test
    void batchDeleteIdsAreValidated() throws Exception {
        fails(BAD_REQUEST, () -> b.batch("t", List.of(obj("{'id':'n'}")), List.of("")));
        fails(BAD_REQUEST, () -> b.batch("t", List.of(obj("{'id':'n'}")), List.of("a\nb")));
        fails(NOT_FOUND, () -> b.get("t", "n"));
    }

    // ---- ids and bodies -------------------------------------------------------------------------

    @Test
    void bodyIdMustMatch() throws Exception {
        assertThat(fails(BAD_REQUEST, () -> b.put("t", "a", obj("{'id':'b','x':1}"), null))
                        .getMessage())
                .contains("differs");
        fails(BAD_REQUEST, () -> b.put("t", "5", obj("{'id':5}"), null));
        fails(BAD_REQUEST, () -> b.put("t", "a", obj("{'id':null}"), null));
        fails(BAD_REQUEST, () -> b.put("t", "a", obj("{'id':['a']}"), null));
        fails(NOT_FOUND, () -> b.get("t", "a"));
        fails(NOT_FOUND, () -> b.get("t", "b"));
        assertNoFrames();
        b.put("t", "a", obj("{'x':1,'id':'a'}"), null);
        assertThat(b.get("t", "a").json()).isEqualTo("{\"id\":\"a\",\"x\":1}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a\u0000", "a\nb", "\t", "x\u001f", "del\u007f", "c1\u0085", "\r"})
    void badIdsAreRefusedEverywhere(String id) throws Exception {
        fails(BAD_REQUEST, () -> b.put("t", id, obj("{}"), null));
        fails(BAD_REQUEST, () -> b.patch("t", id, obj("{}"), null));
        fails(BAD_REQUEST, () -> b.delete("t", id, null));
        fails(BAD_REQUEST, () -> b.get("t", id));
        ObjectNode row = obj("{}");
        row.put("id", id);
        fails(BAD_REQUEST, () -> b.batch("t", List.of(row), List.of()));
        fails(BAD_REQUEST, () -> b.batch("t", List.of(), List.of(id)));
        assertNoFrames();
    }

    @Test
    void idLengthLimits() throws Exception {
        String max = "i".repeat(128);
        String over = "i".repeat(129);
        assertThat(b.put("t", max, obj("{}"), null).id()).isEqualTo(max);
        assertThat(b.get("t", max).id()).isEqualTo(max);
        assertThat(fails(BAD_REQUEST, () -> b.put("t", over, obj("{}"), null)).getMessage())
                .contains("1..128");
        fails(BAD_REQUEST, () -> b.get("t", over));
        fails(BAD_REQUEST, () -> b.delete("t", over, null));
        // characters, not UTF-16 units: 128 emoji (256 units) is a valid id, 129 is not
        String emoji = "\uD83D\uDE00".repeat(128);
        assertThat(b.put("t", emoji, obj("{}"), null).id()).isEqualTo(emoji);
        fails(BAD_REQUEST, () -> b.put("t", emoji + "\uD83D\uDE00", obj("{}"), null));
        // non-ASCII and symbols are fine
        for (String ok : List.of("é", "a b", "a/b", "\uD83D\uDE00", "~", "x".repeat(1))) {
            b.put("t", ok, obj("{}"), null);
            assertThat(b.get("t", ok).id()).isEqualTo(ok);
        }
    }

    // ---- tables ---------------------------------------------------------------------------------

    @Test
    void tableAllowlistRefusesOtherTablesForWritesQueriesAndSubscriptions() throws Exception {
        LocalBackend only = new LocalBackend(EngineOptions.defaults().withTables(Set.of("a")));
        only.put("a", "r", obj("{}"), null);
        assertThat(ids(only.query(query("{'table':'a','limit':5}")))).containsExactly("r");
        only.subscribe(query("{'table':'a','limit':5}"), null, () -> {}).close();

        assertThat(fails(UNKNOWN_TABLE, () -> only.put("b", "r", obj("{}"), null))
                        .getMessage())
                .contains("'b'");
        fails(UNKNOWN_TABLE, () -> only.patch("b", "r", obj("{}"), null));
        fails(UNKNOWN_TABLE, () -> only.delete("b", "r", null));
        fails(UNKNOWN_TABLE, () -> only.get("b", "r"));
        fails(UNKNOWN_TABLE, () -> only.batch("b", List.of(obj("{'id':'r'}")), List.of()));
        fails(UNKNOWN_TABLE, () -> only.query(query("{'table':'b','limit':5}")));
        fails(UNKNOWN_TABLE, () -> only.subscribe(query("{'table':'b','limit':5}"), null, () -> {}));
        fails(UNKNOWN_TABLE, () -> only.subscribe(query("{'table':'b','limit':5}"), "some-token", () -> {}));
        assertThat(only.gauges()).containsEntry("tables", 1L).containsEntry("subscriptions", 0L);
    }

    @Test
    void badTableNamesAreRefusedOnWrites() throws Exception {
        for (String t : List.of("Items", "1x", "a".repeat(64), "")) {
            LiveQueryException e = fails(tableNameCode(t), () -> b.put(t, "r", obj("{}"), null));
            assertThat(e.code().httpStatus()).isEqualTo(400);
            assertThat(e.getMessage()).contains("table names match");
            assertThat(fails(e.code(), () -> b.get(t, "r")).getMessage()).contains("table names match");
        }
    }

    /** The code a bad table name gets (bad_query today); the test pins only that it is a 400. */
    static LiveQueryException.Code tableNameCode(String table) {
        try {
            Query.table(table);
            throw new AssertionError("valid: " + table);
        } catch (LiveQueryException e) {
            return e.code();
        }
    }

    @Test
    void aFailedWriteDoesNotCreateATable() throws Exception {
        LocalBackend fresh = new LocalBackend(EngineOptions.defaults());
        fails(NOT_FOUND, () -> fresh.delete("ghost", "r", null));
        fails(NOT_FOUND, () -> fresh.patch("ghost", "r", obj("{}"), null));
        fails(VERSION_MISMATCH, () -> fresh.put("ghost", "r", obj("{}"), 3L));
        assertThat(fresh.gauges()).containsEntry("tables", 0L);
    }

    // ---- ownership ------------------------------------------------------------------------------

    @Test
    void theCallersNodesAreNotRetained() throws Exception {
        ObjectNode row = obj("{'x':1,'list':[1],'o':{'k':'v'}}");
        b.put("t", "a", row, null);
        row.put("x", 99);
        row.put("id", "zzz");
        ((ArrayNode) row.get("list")).add(2);
        ((ObjectNode) row.get("o")).put("k", "changed");
        assertThat(b.get("t", "a").json()).isEqualTo("{\"id\":\"a\",\"x\":1,\"list\":[1],\"o\":{\"k\":\"v\"}}");

        ObjectNode patch = obj("{'o':{'k':'p'},'y':[1]}");
        b.patch("t", "a", patch, null);
        ((ObjectNode) patch.get("o")).put("k", "changed");
        ((ArrayNode) patch.get("y")).add(2);
        patch.put("z", 1);
        assertThat(b.get("t", "a").json())
                .isEqualTo("{\"id\":\"a\",\"x\":1,\"list\":[1],\"o\":{\"k\":\"p\"},\"y\":[1]}");

        ObjectNode up = obj("{'id':'b','o':{'k':1}}");
        b.batch("t", List.of(up), List.of());
        ((ObjectNode) up.get("o")).put("k", 2);
        up.put("extra", true);
        assertThat(b.get("t", "b").json()).isEqualTo("{\"id\":\"b\",\"o\":{\"k\":1}}");

        List<Frame> fs = drain(watcher);
        assertThat(d(fs)).containsExactly("enter a@0", "update a@0", "enter b@1");
        assertThat(as(Frame.Placed.class, fs.get(0)).row().json())
                .isEqualTo("{\"id\":\"a\",\"x\":1,\"list\":[1],\"o\":{\"k\":\"v\"}}");
        assertThat(as(Frame.Placed.class, fs.get(2)).row().json()).isEqualTo("{\"id\":\"b\",\"o\":{\"k\":1}}");
        // the filter saw the stored value, not the caller's later edit
        assertThat(ids(b.query(query("{'table':'t','where':{'x':1},'limit':9}"))))
                .containsExactly("a");
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    @Test
    void aClosedBackendIsUnavailable() throws Exception {
        b.put("t", "a", obj("{}"), null);
        assertThat(b.ready()).isTrue();
        b.close();
        assertThat(b.ready()).isFalse();
        fails(UNAVAILABLE, () -> b.put("t", "a", obj("{}"), null));
        fails(UNAVAILABLE, () -> b.get("t", "a"));
        fails(UNAVAILABLE, () -> b.query(query("{'table':'t','limit':1}")));
        fails(UNAVAILABLE, () -> b.subscribe(query("{'table':'t','limit':1}"), null, () -> {}));
    }

    @Test
    void gaugesCountViewsSharedPerShape() throws Exception {
        Subscription s1 = b.subscribe(query("{'table':'t','where':{'a':1,'b':2},'limit':5}"), null, () -> {});
        Subscription s2 = b.subscribe(query("{'table':'t','where':{'b':2,'a':1.0},'limit':50}"), null, () -> {});
        assertThat(b.gauges()).containsEntry("views", 2L).containsEntry("subscriptions", 3L);
        s1.close();
        s1.close();
        assertThat(b.gauges()).containsEntry("views", 2L).containsEntry("subscriptions", 2L);
        s2.close();
        assertThat(b.gauges()).containsEntry("views", 1L).containsEntry("subscriptions", 1L);
        fails(LiveQueryException.Code.UNKNOWN_SUB, () -> s2.reanchor(new Window(null, null, 1)));
        assertThat(s2.drain(new java.util.ArrayList<>(), 10)).isZero();
    }
}
