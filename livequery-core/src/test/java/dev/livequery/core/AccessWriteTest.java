package dev.livequery.core;

import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.fails;
import static dev.livequery.core.Fixtures.json;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static dev.livequery.core.LiveQueryException.Code.FORBIDDEN;
import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PROTOCOL §9 write checks against the embedded backend: 404 before, 403 after, nothing changed. */
class AccessWriteTest {
    LocalBackend b;
    Subscription watcher;
    Where acme;

    @BeforeEach
    void setUp() throws Exception {
        b = new LocalBackend(EngineOptions.defaults());
        acme = Where.parse(json("{'tenant':'acme'}"));
        b.put("t", "a1", obj("{'tenant':'acme','n':1}"), null);
        b.put("t", "g1", obj("{'tenant':'globex','n':1}"), null);
        watcher = b.subscribe(query("{'table':'t','limit':100}"), null, () -> {});
        drain(watcher);
    }

    Map<String, String> snapshot() throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (Row r : b.query(query("{'table':'t','limit':1000}")).rows()) {
            m.put(r.id(), r.version() + " " + r.json());
        }
        return m;
    }

    void refused(LiveQueryException.Code code, Fixtures.Call write) throws Exception {
        Map<String, String> before = snapshot();
        fails(code, write);
        assertThat(snapshot()).as("rows after a refused write").isEqualTo(before);
        assertThat(d(drain(watcher))).as("frames after a refused write").isEmpty();
    }

    @Test
    void aRowOutsideTheWriteFilterIsNotFoundLikeAnAbsentOne() throws Exception {
        String absent = fails(NOT_FOUND, () -> b.patch("t", "zz", obj("{'n':2}"), null, acme))
                .getMessage();
        String hidden = fails(NOT_FOUND, () -> b.patch("t", "g1", obj("{'n':2}"), null, acme))
                .getMessage();
        assertThat(hidden).isEqualTo(absent.replace("zz", "g1"));
        refused(NOT_FOUND, () -> b.put("t", "g1", obj("{'tenant':'acme'}"), null, acme));
        refused(NOT_FOUND, () -> b.patch("t", "g1", obj("{'tenant':'acme'}"), null, acme));
        refused(NOT_FOUND, () -> b.delete("t", "g1", null, acme));
        // If-Match on a hidden row is still 404: the version must not leak
        long v = b.get("t", "g1").version();
        refused(NOT_FOUND, () -> b.put("t", "g1", obj("{'tenant':'acme'}"), v, acme));
        refused(NOT_FOUND, () -> b.delete("t", "g1", v, acme));
    }

    @Test
    void anAfterImageOutsideTheWriteFilterIsForbidden() throws Exception {
        refused(FORBIDDEN, () -> b.put("t", "new", obj("{'tenant':'globex'}"), null, acme));
        refused(FORBIDDEN, () -> b.put("t", "a1", obj("{'n':5}"), null, acme));
        refused(FORBIDDEN, () -> b.patch("t", "a1", obj("{'tenant':'globex'}"), null, acme));
        refused(FORBIDDEN, () -> b.patch("t", "a1", obj("{'tenant':null}"), null, acme));
        assertThat(b.gauges().get("tables")).isEqualTo(1L);
    }

    @Test
    void writesInsideTheFilterSucceed() throws Exception {
        b.put("t", "a2", obj("{'tenant':'acme','n':2}"), null, acme);
        b.patch("t", "a2", obj("{'n':3}"), null, acme);
        long v = b.get("t", "a1", acme).version();
        b.put("t", "a1", obj("{'tenant':'acme','n':9}"), v, acme);
        fails(VERSION_MISMATCH, () -> b.put("t", "a1", obj("{'tenant':'acme'}"), v, acme));
        b.delete("t", "a2", null, acme);
        assertThat(d(drain(watcher))).hasSize(4);
        assertThat(b.get("t", "a1").data().get("n").intValue()).isEqualTo(9);
    }

    @Test
    void getOutsideTheReadFilterIsNotFound() throws Exception {
        assertThat(b.get("t", "a1", acme).id()).isEqualTo("a1");
        String absent = fails(NOT_FOUND, () -> b.get("t", "nope", acme)).getMessage();
        String hidden = fails(NOT_FOUND, () -> b.get("t", "g1", acme)).getMessage();
        assertThat(hidden).isEqualTo(absent.replace("nope", "g1"));
        assertThat(b.get("t", "g1", null).id()).isEqualTo("g1");
        assertThat(b.get("t", "g1", Where.ALL).id()).isEqualTo("g1");
    }

    @Test
    void aBatchWithOneRefusedRowChangesNothing() throws Exception {
        refused(NOT_FOUND, () -> b.batch("t", List.of(obj("{'id':'a3','tenant':'acme'}")), List.of("g1"), acme));
        refused(
                NOT_FOUND,
                () -> b.batch(
                        "t",
                        List.of(obj("{'id':'a3','tenant':'acme'}"), obj("{'id':'g1','tenant':'acme'}")),
                        List.of(),
                        acme));
        refused(
                FORBIDDEN,
                () -> b.batch(
                        "t",
                        List.of(obj("{'id':'a3','tenant':'acme'}"), obj("{'id':'a4','tenant':'globex'}")),
                        List.of("a1"),
                        acme));
        refused(NOT_FOUND, () -> b.batch("t", List.of(), List.of("a1", "absent"), acme));
        List<WriteResult> ok = b.batch("t", List.of(obj("{'id':'a3','tenant':'acme'}")), List.of("a1"), acme);
        assertThat(ok).extracting(WriteResult::id).containsExactly("a3", "a1");
        assertThat(snapshot()).containsOnlyKeys("a3", "g1");
    }
}
