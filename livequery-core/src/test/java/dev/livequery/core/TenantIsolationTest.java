package dev.livequery.core;

import static dev.livequery.core.Fixtures.json;
import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;
import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.Oracle;
import dev.livequery.testkit.Oracle.Anchor;
import dev.livequery.testkit.Oracle.ShapeSpec;
import dev.livequery.testkit.Oracle.Slice;
import dev.livequery.testkit.Oracle.SortKey;
import dev.livequery.testkit.Oracle.Stored;
import dev.livequery.testkit.Replica;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL §9, row-level security inside the engine, against a brute-force oracle: random
 * principals (access filters), writes under write filters, gets, one-shot queries,
 * subscriptions, reanchors and resumes. No frame, query result or get ever shows a row outside
 * its filter, every window equals the filtered truth, writes are refused exactly when the oracle
 * says (404 before, 403 after, changing nothing), the same filter shares a view and different
 * ones never do, and cursors and tokens of one filter are refused under another.
 *
 * <p>Seeded: a failure names its seed; rerun it with {@code -Dlivequery.seed=<seed>}.
 */
class TenantIsolationTest {
    static final String TABLE = "items";
    static final String[] TENANTS = {"acme", "globex", "initech"};
    /** Access filters; 0 is unrestricted. All are different, so each must get its own views. */
    static final String[] FILTERS = {
        null,
        "{'tenant':'acme'}",
        "{'tenant':'globex'}",
        "{'tenant':'initech'}",
        "{'tenant':'acme','owner':'u1'}",
        "{'tenant':{'in':['acme','globex']}}",
        "{'n':{'lt':10}}",
        "{'tenant':'globex','owner':{'ne':'u1'}}"
    };

    static final String[] WHERES = {
        null, "{'status':'open'}", "{'n':{'gte':5}}", "{'or':[{'owner':'u1'},{'status':'done'}]}", "{'tenant':'acme'}"
    };
    static final String[][] ORDERS = {{"n"}, {"-n", "status"}, {}};
    static final int RUNS = 12;
    static final int STEPS = 250;

    @Test
    void noPrincipalEverSeesARowOutsideItsFilter() {
        String fixed = System.getProperty("livequery.seed");
        long base = fixed != null ? Long.parseLong(fixed) : new SecureRandom().nextLong();
        for (int i = 0; i < (fixed != null ? 1 : RUNS); i++) {
            long seed = base + i;
            try {
                new Run(seed).run();
            } catch (Throwable t) {
                throw new AssertionError(
                        "tenant isolation failed with seed " + seed + " (rerun: -Dlivequery.seed=" + seed + "): "
                                + t.getMessage(),
                        t);
            }
        }
    }

    /** A live subscription and what its client holds. */
    static final class Sub {
        final int filter;
        final int where;
        final int order;
        Query query;
        Anchor anchor;
        Subscription s;
        Replica replica = new Replica();
        String lastEid;

        Sub(int filter, int where, int order) {
            this.filter = filter;
            this.where = where;
            this.order = order;
        }

        String key() {
            return filter + "/" + where + "/" + order;
        }
    }

    static final class Run {
        final long seed;
        final Random rnd;
        final LocalBackend b = new LocalBackend(EngineOptions.defaults().withMaxWindow(50));
        final Where[] filters = new Where[FILTERS.length];
        final Map<String, Stored> truth = new TreeMap<>();
        final List<Sub> subs = new ArrayList<>();
        /** Cursors seen per (filter, where, order), with the row image each names. */
        final Map<String, Map<String, ObjectNode>> cursors = new HashMap<>();

        final List<String> log = new ArrayList<>();
        final TenantWrites writes;

        Run(long seed) throws LiveQueryException {
            this.seed = seed;
            this.rnd = new Random(seed);
            for (int i = 0; i < FILTERS.length; i++) {
                filters[i] = FILTERS[i] == null ? Where.ALL : Where.parse(json(FILTERS[i]));
            }
            this.writes = new TenantWrites(rnd, b, filters, truth, log);
        }

        void run() throws Exception {
            for (int step = 0; step < STEPS; step++) {
                int op = rnd.nextInt(100);
                if (op < 40) {
                    writes.step();
                } else if (op < 48) {
                    get();
                } else if (op < 58) {
                    oneShot();
                } else if (op < 70) {
                    subscribe();
                } else if (op < 78) {
                    reanchor();
                } else if (op < 86) {
                    resume();
                } else if (op < 92) {
                    crossFilter();
                } else if (!subs.isEmpty()) {
                    Sub s = subs.remove(rnd.nextInt(subs.size()));
                    s.s.close();
                    log.add("unsubscribe " + s.key());
                }
                drainAndCheck();
            }
        }

        // ---- the oracle ---------------------------------------------------------------------------

        static ObjectNode filterJson(int f) {
            return FILTERS[f] == null ? null : (ObjectNode) json(FILTERS[f]);
        }

        static boolean admits(int f, ObjectNode row) {
            return Oracle.matches(filterJson(f), row);
        }

        static ShapeSpec spec(int where, int order) {
            List<SortKey> keys = new ArrayList<>();
            for (String k : ORDERS[order]) {
                keys.add(new SortKey(k.replace("-", ""), k.startsWith("-")));
            }
            return new ShapeSpec(TABLE, WHERES[where] == null ? null : (ObjectNode) json(WHERES[where]), keys);
        }

        Slice expected(int filter, int where, int order, Anchor anchor) {
            List<Stored> visible = truth.values().stream()
                    .filter(s -> admits(filter, s.data()))
                    .toList();
            return Oracle.window(spec(where, order), visible, anchor);
        }

        Query query(int filter, int where, int order, Window w) throws LiveQueryException {
            ObjectNode q = Json.MAPPER.createObjectNode();
            q.put("table", TABLE);
            if (WHERES[where] != null) {
                q.set("where", json(WHERES[where]));
            }
            ArrayNode o = q.putArray("order");
            for (String k : ORDERS[order]) {
                ObjectNode key = o.addObject().put("field", k.replace("-", ""));
                if (k.startsWith("-")) {
                    key.put("dir", "desc");
                }
            }
            q.put("limit", w.limit());
            if (w.after() != null) {
                q.put("after", w.after());
            }
            if (w.before() != null) {
                q.put("before", w.before());
            }
            return Query.parse(q).withAccess(filters[filter]);
        }

        /** A window of that key: the top, or after / before a cursor seen under the same key. */
        Window window(String key) throws LiveQueryException {
            int limit = 1 + rnd.nextInt(6);
            Map<String, ObjectNode> known = cursors.getOrDefault(key, Map.of());
            if (known.isEmpty() || rnd.nextInt(3) == 0) {
                return Window.of(null, null, limit);
            }
            String c = new ArrayList<>(known.keySet()).get(rnd.nextInt(known.size()));
            return rnd.nextBoolean() ? Window.of(c, null, limit) : Window.of(null, c, limit);
        }

        Anchor anchor(String key, Window w) {
            Map<String, ObjectNode> known = cursors.getOrDefault(key, Map.of());
            return new Anchor(
                    w.after() == null ? null : known.get(w.after()),
                    w.before() == null ? null : known.get(w.before()),
                    w.limit());
        }

        void cursorSeen(String key, String cursor, ObjectNode image) {
            assertThat(cursor).as("cursor of a row").isNotNull();
            cursors.computeIfAbsent(key, k -> new LinkedHashMap<>()).putIfAbsent(cursor, image);
        }

        // ---- reads -------------------------------------------------------------------------------

        void get() {
            int f = rnd.nextInt(FILTERS.length);
            String id = writes.randomId();
            Stored cur = truth.get(id);
            log.add("get " + id + " under " + FILTERS[f]);
            try {
                Row r = b.get(TABLE, id, filters[f]);
                assertThat(cur).as("get of an absent row answered %s", r).isNotNull();
                assertThat(admits(f, r.data()))
                        .as("get revealed %s under %s", r, FILTERS[f])
                        .isTrue();
                assertThat(Oracle.sameJson(r.data(), cur.data()))
                        .as("get %s", id)
                        .isTrue();
                assertThat(r.version()).isEqualTo(cur.version());
            } catch (LiveQueryException e) {
                assertThat(e.code()).isEqualTo(NOT_FOUND);
                assertThat(cur == null || !admits(f, cur.data()))
                        .as("get refused a visible row")
                        .isTrue();
                assertThat(e.getMessage()).isEqualTo("row '" + id + "' does not exist in table '" + TABLE + "'");
            }
        }

        void oneShot() throws LiveQueryException {
            int f = rnd.nextInt(FILTERS.length);
            int wh = rnd.nextInt(WHERES.length);
            int o = rnd.nextInt(ORDERS.length);
            String key = f + "/" + wh + "/" + o;
            Window w = window(key);
            log.add("query " + key + " " + w);
            QueryResult r = b.query(query(f, wh, o, w));
            Slice want = expected(f, wh, o, anchor(key, w));
            List<String> got = r.rows().stream().map(Row::id).toList();
            assertThat(got).as("one-shot %s %s", key, w).isEqualTo(want.ids());
            assertThat(r.hasMoreBefore()).isEqualTo(want.hasMoreBefore());
            assertThat(r.hasMoreAfter()).isEqualTo(want.hasMoreAfter());
            for (int i = 0; i < r.rows().size(); i++) {
                ObjectNode data = r.rows().get(i).data();
                assertThat(admits(f, data))
                        .as("one-shot revealed %s under %s", data, FILTERS[f])
                        .isTrue();
                assertThat(Oracle.sameJson(data, want.rows().get(i).data())).isTrue();
                cursorSeen(key, r.cursors().get(i), data);
            }
        }

        // ---- live windows ------------------------------------------------------------------------

        void subscribe() throws LiveQueryException {
            Sub s = new Sub(rnd.nextInt(FILTERS.length), rnd.nextInt(WHERES.length), rnd.nextInt(ORDERS.length));
            Window w = window(s.key());
            s.query = query(s.filter, s.where, s.order, w);
            s.anchor = anchor(s.key(), w);
            log.add("subscribe " + s.key() + " " + w);
            s.s = b.subscribe(s.query, null, () -> {});
            subs.add(s);
        }

        void reanchor() throws LiveQueryException {
            if (subs.isEmpty()) {
                return;
            }
            Sub s = subs.get(rnd.nextInt(subs.size()));
            Window w = window(s.key());
            log.add("reanchor " + s.key() + " " + w);
            s.s.reanchor(w);
            s.query = s.query.withWindow(w);
            s.anchor = anchor(s.key(), w);
        }

        void resume() throws LiveQueryException {
            List<Sub> resumable = subs.stream().filter(s -> s.lastEid != null).toList();
            if (resumable.isEmpty()) {
                return;
            }
            Sub s = resumable.get(rnd.nextInt(resumable.size()));
            log.add("resume " + s.key() + " from " + s.lastEid);
            s.s.close();
            s.s = b.subscribe(s.query, s.lastEid, () -> {});
            List<Frame> fs = Fixtures.drain(s.s);
            assertThat(fs).isNotEmpty();
            assertThat(fs.get(0).op())
                    .as("first frame of a resume inside the horizon")
                    .isNotEqualTo(Frame.Op.RESET);
            assertThat(((Frame.Ready) fs.get(fs.size() - 1)).resumed()).isTrue();
            apply(s, fs);
            check(s);
        }

        /** Cursors and tokens minted under one filter, presented under another. */
        void crossFilter() throws LiveQueryException {
            List<String> keys = new ArrayList<>(cursors.keySet());
            if (!keys.isEmpty()) {
                String key = keys.get(rnd.nextInt(keys.size()));
                String[] p = key.split("/");
                int f = Integer.parseInt(p[0]);
                int other = (f + 1 + rnd.nextInt(FILTERS.length - 1)) % FILTERS.length;
                List<String> cs = new ArrayList<>(cursors.get(key).keySet());
                String c = cs.get(rnd.nextInt(cs.size()));
                Query q = query(other, Integer.parseInt(p[1]), Integer.parseInt(p[2]), Window.of(c, null, 3));
                log.add("cursor of " + key + " under filter " + other);
                LiveQueryException e = Fixtures.fails(BAD_QUERY, () -> b.query(q));
                assertThat(e.getMessage()).startsWith("cursor ");
                Fixtures.fails(BAD_QUERY, () -> b.subscribe(q, null, () -> {}));
                for (Sub s : subs) {
                    if (s.filter == other && s.where == Integer.parseInt(p[1]) && s.order == Integer.parseInt(p[2])) {
                        Fixtures.fails(BAD_QUERY, () -> s.s.reanchor(Window.of(c, null, 2)));
                    }
                }
            }
            List<Sub> resumable = subs.stream().filter(s -> s.lastEid != null).toList();
            if (!resumable.isEmpty()) {
                Sub from = resumable.get(rnd.nextInt(resumable.size()));
                Sub s = new Sub(
                        (from.filter + 1 + rnd.nextInt(FILTERS.length - 1)) % FILTERS.length, from.where, from.order);
                Window w = Window.of(null, null, from.query.window().limit());
                s.query = query(s.filter, s.where, s.order, w);
                s.anchor = anchor(s.key(), w);
                log.add("resume " + s.key() + " with a token of " + from.key());
                s.s = b.subscribe(s.query, from.lastEid, () -> {});
                List<Frame> fs = Fixtures.drain(s.s);
                assertThat(fs.get(0).op()).isEqualTo(Frame.Op.RESET);
                assertThat(((Frame.Reset) fs.get(0)).cause()).isEqualTo("resume_miss");
                subs.add(s);
                apply(s, fs);
            }
        }

        void drainAndCheck() {
            for (Sub s : subs) {
                apply(s, Fixtures.drain(s.s));
                check(s);
            }
            Set<String> keys = new HashSet<>();
            subs.forEach(s -> keys.add(s.key()));
            assertThat(b.gauges().get("views"))
                    .as("views for the live (filter, where, order) keys %s", keys)
                    .isEqualTo((long) keys.size());
        }

        void apply(Sub s, List<Frame> fs) {
            for (Frame f : fs) {
                switch (f) {
                    case Frame.Reset r ->
                        assertThat(r.cause()).as("reset of %s", s.key()).isIn("subscribe", "resume_miss");
                    case Frame.Placed p -> {
                        ObjectNode data = p.row().data();
                        if (!admits(s.filter, data)) {
                            fail("frame %s revealed %s to a subscriber under %s", f, data, FILTERS[s.filter]);
                        }
                        cursorSeen(s.key(), p.cursor(), data);
                    }
                    default -> {}
                }
                WireFrames.apply(s.replica, f);
                if (f.eid() != null) {
                    s.lastEid = f.eid();
                }
            }
        }

        void check(Sub s) {
            Slice want = expected(s.filter, s.where, s.order, s.anchor);
            assertThat(s.replica.ids())
                    .as(
                            "window of %s %s after %s",
                            s.key(), s.query.window(), log.subList(Math.max(0, log.size() - 5), log.size()))
                    .isEqualTo(want.ids());
            List<Replica.Item> items = s.replica.items();
            for (int i = 0; i < items.size(); i++) {
                assertThat(Oracle.sameJson(
                                items.get(i).row(),
                                WireFrames.asSent(want.rows().get(i).data())))
                        .as("row %s of %s", items.get(i).id(), s.key())
                        .isTrue();
            }
        }
    }
}
