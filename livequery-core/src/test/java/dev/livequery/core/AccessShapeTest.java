package dev.livequery.core;

import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.fails;
import static dev.livequery.core.Fixtures.ids;
import static dev.livequery.core.Fixtures.json;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PROTOCOL §9: the access filter is a member of the shape of its own. */
class AccessShapeTest {
    LocalBackend b;

    @BeforeEach
    void setUp() throws Exception {
        b = new LocalBackend(EngineOptions.defaults());
        for (int i = 0; i < 6; i++) {
            b.put("t", "r" + i, obj("{'tenant':'" + (i % 2 == 0 ? "acme" : "globex") + "','n':" + i + "}"), null);
        }
    }

    static Where w(String json) throws LiveQueryException {
        return Where.parse(json(json));
    }

    @Test
    void accessIsItsOwnCanonicalMemberNotMergedIntoWhere() throws Exception {
        Query q = query("{'table':'t','where':{'n':{'gte':0}},'order':[{'field':'n'}],'limit':10}");
        Shape a = q.withAccess(w("{'tenant':'acme'}")).shape();
        Shape a2 = q.withAccess(w("{'tenant':'acme'}")).shape();
        Shape g = q.withAccess(w("{'tenant':'globex'}")).shape();
        assertThat(a).isEqualTo(a2).isNotEqualTo(g).isNotEqualTo(q.shape());
        assertThat(q.withAccess(null).shape()).isEqualTo(q.shape());
        assertThat(q.withAccess(Where.ALL).shape()).isEqualTo(q.shape());
        // the same conjunction split differently between where and access is a different shape
        Query merged =
                query("{'table':'t','where':{'n':{'gte':0},'tenant':'acme'},'order':[{'field':'n'}],'limit':10}");
        assertThat(merged.shape()).isNotEqualTo(a);
        assertThat(a.access()).isEqualTo(w("{'tenant':'acme'}"));
        assertThat(q.shape().access()).isSameAs(Where.ALL);
        assertThat(a.toString()).contains("\"access\":{\"tenant\":{\"eq\":\"acme\"}}");
    }

    @Test
    void queryWindowsAndSubscriptionsSeeOnlyTheirFilter() throws Exception {
        Query q = query("{'table':'t','order':[{'field':'n'}],'limit':10}");
        assertThat(ids(b.query(q.withAccess(w("{'tenant':'acme'}"))))).containsExactly("r0", "r2", "r4");
        Subscription s = b.subscribe(q.withAccess(w("{'tenant':'globex'}")), null, () -> {});
        assertThat(d(drain(s)))
                .containsExactly(
                        "reset subscribe", "enter r1@0", "enter r3@1", "enter r5@2", "ready before=false after=false");
        b.put("t", "r6", obj("{'tenant':'acme','n':6}"), null);
        b.put("t", "r7", obj("{'tenant':'globex','n':-1}"), null);
        b.patch("t", "r0", obj("{'tenant':'globex'}"), null);
        assertThat(d(drain(s))).containsExactly("enter r7@0", "enter r0@1");
    }

    @Test
    void sameFilterSharesAViewDifferentFiltersDoNot() throws Exception {
        Query q = query("{'table':'t','where':{'n':{'gte':0}},'order':[{'field':'n'}],'limit':10}");
        b.subscribe(q.withAccess(w("{'tenant':'acme'}")), null, () -> {});
        b.subscribe(q.withAccess(w("{'tenant':'acme'}")), null, () -> {});
        assertThat(b.gauges().get("views")).isEqualTo(1L);
        b.subscribe(q.withAccess(w("{'tenant':'globex'}")), null, () -> {});
        assertThat(b.gauges().get("views")).isEqualTo(2L);
        b.subscribe(q, null, () -> {});
        assertThat(b.gauges().get("views")).isEqualTo(3L);
    }

    @Test
    void cursorsAndTokensOfAnotherFilterAreRefused() throws Exception {
        Query q = query("{'table':'t','order':[{'field':'n'}],'limit':2}");
        Query acme = q.withAccess(w("{'tenant':'acme'}"));
        Query globex = q.withAccess(w("{'tenant':'globex'}"));
        String cursor = b.query(acme).cursors().get(1);
        assertThat(ids(b.query(acme.withWindow(Window.of(cursor, null, 2))))).containsExactly("r4");
        fails(BAD_QUERY, () -> b.query(globex.withWindow(Window.of(cursor, null, 2))));
        fails(BAD_QUERY, () -> b.query(q.withWindow(Window.of(cursor, null, 2))));
        String unrestricted = b.query(q).cursors().get(0);
        fails(BAD_QUERY, () -> b.query(acme.withWindow(Window.of(unrestricted, null, 2))));

        Subscription s = b.subscribe(acme, null, () -> {});
        List<Frame> fs = drain(s);
        String eid = fs.get(fs.size() - 1).eid();
        Subscription same = b.subscribe(acme, eid, () -> {});
        assertThat(d(drain(same))).containsExactly("ready before=false after=true resumed");
        Subscription other = b.subscribe(globex, eid, () -> {});
        assertThat(d(drain(other)).get(0)).isEqualTo("reset resume_miss");
        Subscription none = b.subscribe(q, eid, () -> {});
        assertThat(d(drain(none)).get(0)).isEqualTo("reset resume_miss");
    }

    @Test
    void anEqInTheAccessFilterIndexesTheView() throws Exception {
        Query ranged = query("{'table':'t','where':{'n':{'gte':0}},'limit':1}");
        assertThat(ranged.shape().indexTerm()).isNull();
        assertThat(ranged.withAccess(w("{'tenant':'acme'}")).shape().indexTerm().field())
                .isEqualTo("tenant");
        // preferred over the where's own eq: tenants' views of one where do not share a bucket
        Query open = query("{'table':'t','where':{'status':'open'},'limit':1}");
        assertThat(open.withAccess(w("{'tenant':'acme'}")).shape().indexTerm().field())
                .isEqualTo("tenant");
        assertThat(open.withAccess(w("{'n':{'lt':3}}")).shape().indexTerm().field())
                .isEqualTo("status");
        assertThat(ranged.withAccess(w("{'tenant':{'in':['a','b']}}"))
                        .shape()
                        .indexTerm()
                        .field())
                .isEqualTo("tenant");
        Query in = query("{'table':'t','where':{'k':{'in':[1,2]}},'limit':1}");
        assertThat(in.withAccess(w("{'tenant':{'in':['a','b']}}"))
                        .shape()
                        .indexTerm()
                        .field())
                .isEqualTo("k");
    }

    @Test
    void wireFormCarriesAccessAndClientFormRefusesIt() throws Exception {
        Query q = query("{'table':'t','where':{'n':1},'order':[{'field':'n'}],'limit':2}")
                .withAccess(w("{'tenant':{'in':['a','b']}}"));
        assertThat(Query.fromWire(q.toWire())).isEqualTo(q);
        assertThat(Query.fromWire(q.toWire()).shape().access())
                .isEqualTo(q.shape().access());
        fails(BAD_QUERY, () -> Query.parse(q.toWire()));
        assertThat(Query.parse(q.toJson()).shape().access()).isEqualTo(Where.ALL);
    }
}
