package dev.livequery.gateway;

import static dev.livequery.gateway.TestGateway.enc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.core.Json;
import dev.livequery.core.LocalBackend;
import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.sources.postgres.SourceException;
import dev.livequery.sources.postgres.SourcedBackend;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.PostgresProcess;
import dev.livequery.testkit.process.TcpProxy;
import dev.livequery.testkit.wire.SseClient;
import dev.livequery.testkit.wire.WsClient;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Postgres source end to end, with Postgres as the oracle: a seeded random SQL workload
 * (multi-row transactions, inserts, updates that change the id, deletes, a TRUNCATE) runs while
 * WebSocket and SSE subscribers of a real gateway hold windows with where, multi-key order, limit
 * and a cursor. After quiescence every window equals the same window computed by Postgres
 * ({@code ORDER BY … COLLATE "C" … NULLS FIRST/LAST … LIMIT}), the source has applied exactly the
 * number of row changes the workload made (no duplicate, none missing), and a probe draining a
 * window of balanced transfers mid-stream never sees half a transaction. Faults: Postgres restarted
 * mid-stream; the source's connections cut through a TCP proxy.
 */
@Slow
class PostgresSourceWireTest {
    enum Fault {
        NONE,
        POSTGRES_RESTART,
        CONNECTION_DROP
    }

    static final int TRANSACTIONS = 90;
    static final int PAIRS = 6;
    static final int PAIRS_TOTAL = 600;
    static final String[] GROUPS = {"a", "b", "c", null};
    static final String[] NAMES = {"apple", "Apple", "banana", "_x", "zeta", "éclair", "Zulu", "b", "a b", "10", "9"};

    /** A window held by a client, and the SQL that computes it on Postgres. */
    record Window(String name, Replica replica, String sql) {}

    @ParameterizedTest
    @EnumSource(Fault.class)
    void everyWindowEqualsPostgresAfterARandomWorkload(Fault fault) throws Exception {
        long seed = Long.getLong("lq.seed", new Random().nextLong());
        Random rnd = new Random(seed);
        String context = "seed " + seed + " (rerun with -Dlq.seed=" + seed + "), fault " + fault;
        try (PostgresProcess pg = PostgresProcess.start();
                TcpProxy proxy = new TcpProxy(pg.port())) {
            Workload w = new Workload(pg, rnd);
            w.seed();
            Map<String, String> m = new HashMap<>();
            m.put("url", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/postgres");
            m.put("user", "postgres");
            m.put("tables.0.source", "public.items");
            m.put("tables.0.table", "items");
            m.put("tables.0.id", "id");
            m.put("tables.1.source", "public.pairs");
            m.put("tables.1.table", "pairs");
            m.put("tables.1.id", "id");
            Config node = Config.just(ConfigSources.create(m));
            try (TestGateway gw = TestGateway.over(s -> attach(node, new LocalBackend(s.engineOptions())))) {
                SourcedBackend backend = (SourcedBackend) gw.backend;
                await().atMost(Duration.ofSeconds(90))
                        .until(() -> gw.http("GET", "/health", null).statusCode() == 200);
                JsonNode health =
                        Json.MAPPER.readTree(gw.http("GET", "/health", null).body());
                assertThat(health.at("/source/state").asText()).isEqualTo("streaming");

                HttpResponse<String> refused =
                        gw.http("PUT", "/v1/tables/items/rows/1", "{\"score\":1}", "Content-Type", "application/json");
                assertThat(refused.statusCode()).isEqualTo(403);
                assertThat(refused.body()).contains("forbidden").contains("public.items");

                List<Window> windows = new ArrayList<>();
                List<AutoCloseable> clients = new ArrayList<>();
                try {
                    subscribe(gw, w, windows, clients);
                    Probe probe = new Probe(backend);
                    try {
                        w.run(TRANSACTIONS, fault, proxy);
                        await().atMost(Duration.ofSeconds(120))
                                .pollInterval(Duration.ofMillis(200))
                                .untilAsserted(() -> {
                                    for (Window win : windows) {
                                        assertThat(win.replica().violations())
                                                .as("%s %s", win.name(), context)
                                                .isEmpty();
                                        assertThat(rows(win.replica().rows()))
                                                .as("%s equals Postgres, %s", win.name(), context)
                                                .isEqualTo(w.oracle(win.sql()));
                                    }
                                    assertThat(backend.source().gauges().get("source_changes"))
                                            .as(context)
                                            .isEqualTo(w.changes);
                                });
                    } finally {
                        probe.stop();
                    }
                    Map<String, Long> g = backend.source().gauges();
                    assertThat(g.get("source_transactions"))
                            .as("transactions applied, %s", context)
                            .isEqualTo(w.transactions);
                    assertThat(g.get("source_changes"))
                            .as("row changes applied, %s", context)
                            .isEqualTo(w.changes);
                    for (Window win : windows) {
                        assertThat(win.replica().resetCauses())
                                .as("%s never reset, %s", win.name(), context)
                                .containsExactly("subscribe");
                    }
                    assertThat(probe.violations)
                            .as("probe saw half a transaction, %s", context)
                            .isEmpty();
                    assertThat(probe.checks.get())
                            .as("the probe drained mid-stream")
                            .isGreaterThan(3);
                    if (fault == Fault.CONNECTION_DROP) {
                        assertThat(proxy.accepted())
                                .as("the source reconnected through the proxy")
                                .isGreaterThan(2);
                    }
                } finally {
                    for (AutoCloseable c : clients) {
                        c.close();
                    }
                }
            }
        }
    }

    static SourcedBackend attach(Config node, LocalBackend local) {
        try {
            return (SourcedBackend) SourcedBackend.attach(node, local);
        } catch (SourceException e) {
            throw new IllegalStateException(e.line(), e);
        }
    }

    /** Subscribes {@code w1}: group a, best score first, 7 rows; with the SQL that is its truth. */
    static Window groupA(WsClient ws) {
        ws.send("{\"action\":\"subscribe\",\"sub\":\"w1\",\"query\":{\"table\":\"items\",\"where\":{\"grp\":\"a\"},"
                + "\"order\":[{\"field\":\"score\",\"dir\":\"desc\"},{\"field\":\"name\"}],\"limit\":7}}");
        return new Window(
                "ws where grp=a order -score,name limit 7",
                ws.replica("w1"),
                "select * from items where grp = 'a' order by score desc nulls last, name collate \"C\", "
                        + "id::text collate \"C\" limit 7");
    }

    /** Subscribes {@code p}: the balanced pairs by score, 50 rows; with the SQL that is its truth. */
    static Window pairs(WsClient ws) {
        ws.send(
                "{\"action\":\"subscribe\",\"sub\":\"p\",\"query\":{\"table\":\"pairs\",\"order\":[{\"field\":\"score\"}],"
                        + "\"limit\":50}}");
        return new Window(
                "ws pairs order score",
                ws.replica("p"),
                "select * from pairs order by score nulls first, id::text collate \"C\" limit 50");
    }

    /** Two WebSocket windows (one after a cursor), two SSE windows, one WebSocket window of the pairs. */
    static void subscribe(TestGateway gw, Workload w, List<Window> windows, List<AutoCloseable> clients)
            throws Exception {
        WsClient ws = WsClient.connect(gw.port);
        clients.add(ws);
        windows.add(groupA(ws));
        // A cursor taken now: the window starts strictly after that row's (name, id) whatever happens to it later.
        JsonNode q = Json.MAPPER.readTree(gw.http("GET", "/v1/tables/items/query?order=name&limit=5", null)
                .body());
        String cursor = q.get("cursors").get(4).asText();
        JsonNode at = q.get("rows").get(4);
        ws.send(
                "{\"action\":\"subscribe\",\"sub\":\"w2\",\"query\":{\"table\":\"items\",\"order\":[{\"field\":\"name\"}],"
                        + "\"limit\":10,\"after\":\"" + cursor + "\"}}");
        windows.add(new Window(
                "ws order name limit 10 after a cursor",
                ws.replica("w2"),
                "select * from items where (name collate \"C\", id::text collate \"C\") > ('"
                        + at.get("name").asText().replace("'", "''") + "', '"
                        + at.get("id").asText()
                        + "') order by name collate \"C\", id::text collate \"C\" limit 10"));
        windows.add(pairs(ws));
        SseClient sse1 =
                SseClient.open(gw.port, "/v1/live/items?order=" + enc("price,-name") + "&limit=12", null, null);
        clients.add(sse1::close);
        windows.add(
                new Window(
                        "sse order price,-name limit 12",
                        sse1.replica,
                        "select * from items order by price nulls first, name collate \"C\" desc, id::text collate \"C\" limit 12"));
        SseClient sse2 = SseClient.open(
                gw.port,
                "/v1/live/items?where=" + enc("{\"flag\":true,\"score\":{\"gte\":20}}") + "&order="
                        + enc("-score,-price") + "&limit=6",
                null,
                null);
        clients.add(sse2::close);
        windows.add(new Window(
                "sse where flag and score>=20 order -score,-price limit 6",
                sse2.replica,
                "select * from items where flag and score >= 20 order by score desc nulls last, price desc nulls last, "
                        + "id::text collate \"C\" limit 6"));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> windows.stream().allMatch(x -> x.replica().readies() > 0));
        assertThat(windows.get(0).replica().rows())
                .as("the snapshot reached the windows")
                .isNotEmpty();
    }

    /** A row as the comparable text of each column: numbers by value, strings as they are, null as null. */
    static List<String> rows(List<JsonNode> rows) {
        List<String> out = new ArrayList<>();
        for (JsonNode r : rows) {
            StringBuilder b = new StringBuilder(r.get("id").asText());
            for (String f : Workload.COLUMNS) {
                JsonNode v = r.get(f);
                b.append('|')
                        .append(
                                v == null || v.isNull()
                                        ? "null"
                                        : v.isNumber()
                                                ? new BigDecimal(v.asText())
                                                        .stripTrailingZeros()
                                                        .toPlainString()
                                                : v.asText());
            }
            out.add(b.toString());
        }
        return out;
    }

    /** The seeded workload and its bookkeeping: how many transactions and row changes it committed. */
    static final class Workload {
        static final List<String> COLUMNS = List.of("grp", "score", "name", "price", "flag");
        final PostgresProcess pg;
        final Random rnd;
        final LinkedHashSet<Integer> ids = new LinkedHashSet<>();
        int nextId = 1;
        volatile long transactions;
        volatile long changes;
        /** Called just before each fault, between transactions (a test notes what the source had applied). */
        volatile Runnable onFault;

        Connection c;

        Workload(PostgresProcess pg, Random rnd) {
            this.pg = pg;
            this.rnd = rnd;
        }

        void seed() throws Exception {
            c = pg.connect();
            try (Statement s = c.createStatement()) {
                s.execute("create table items (id int primary key, grp text, score int, name text not null, "
                        + "price numeric(8,2), flag bool)");
                s.execute("create table pairs (id int primary key, score int not null)");
                for (int i = 0; i < PAIRS; i++) {
                    s.execute("insert into pairs values (" + i + ", " + (PAIRS_TOTAL / PAIRS) + ")");
                }
            }
            for (int i = 0; i < 40; i++) {
                insert();
            }
            changes = 0; // the seed reaches the source as its snapshot, not as changes
            c.setAutoCommit(false);
        }

        void run(int count, Fault fault, TcpProxy proxy) throws Exception {
            for (int t = 0; t < count; t++) {
                if (t == count / 3 || t == 2 * count / 3) {
                    Runnable hook = onFault;
                    if (hook != null && fault != Fault.NONE) {
                        hook.run();
                    }
                    switch (fault) {
                        case POSTGRES_RESTART -> {
                            c.close();
                            pg.restart();
                            c = pg.connect();
                            c.setAutoCommit(false);
                        }
                        case CONNECTION_DROP -> proxy.dropAll();
                        case NONE -> {}
                    }
                }
                long before = changes;
                if (t == count / 2) {
                    try (Statement s = c.createStatement()) {
                        s.execute("truncate items");
                    }
                    ids.clear();
                    changes++;
                }
                if (rnd.nextInt(4) == 0) {
                    transfer();
                }
                insert(); // every transaction changes at least one row, so each is one the source sees
                int statements = rnd.nextInt(5);
                for (int i = 0; i < statements; i++) {
                    switch (rnd.nextInt(6)) {
                        case 0 -> insert();
                        case 1 -> update();
                        case 2 -> changeId();
                        case 3 -> delete();
                        case 4 -> groupUpdate();
                        default -> transfer();
                    }
                }
                c.commit();
                if (changes > before) {
                    transactions++;
                }
            }
        }

        void insert() throws Exception {
            int id = nextId++;
            try (PreparedStatement p = c.prepareStatement("insert into items values (?, ?, ?, ?, ?, ?)")) {
                p.setInt(1, id);
                p.setString(2, GROUPS[rnd.nextInt(GROUPS.length)]);
                setNullable(p, 3, rnd.nextInt(8) == 0 ? null : rnd.nextInt(40));
                p.setString(4, NAMES[rnd.nextInt(NAMES.length)] + (rnd.nextBoolean() ? "" : rnd.nextInt(5)));
                p.setBigDecimal(5, rnd.nextInt(6) == 0 ? null : BigDecimal.valueOf(rnd.nextInt(2000), 2));
                p.setBoolean(6, rnd.nextBoolean());
                changes += p.executeUpdate();
            }
            ids.add(id);
        }

        void update() throws Exception {
            Integer id = any();
            if (id == null) {
                return;
            }
            try (PreparedStatement p =
                    c.prepareStatement("update items set score = ?, price = ?, name = ? where id = ?")) {
                setNullable(p, 1, rnd.nextInt(8) == 0 ? null : rnd.nextInt(40));
                p.setBigDecimal(2, rnd.nextInt(6) == 0 ? null : BigDecimal.valueOf(rnd.nextInt(2000), 2));
                p.setString(3, NAMES[rnd.nextInt(NAMES.length)]);
                p.setInt(4, id);
                changes += p.executeUpdate();
            }
        }

        /** An update of the key: the source sees a delete and an insert (leave + enter). */
        void changeId() throws Exception {
            Integer id = any();
            if (id == null) {
                return;
            }
            int to = nextId++;
            try (PreparedStatement p = c.prepareStatement("update items set id = ?, score = score + 1 where id = ?")) {
                p.setInt(1, to);
                p.setInt(2, id);
                changes += 2L * p.executeUpdate();
            }
            ids.remove(id);
            ids.add(to);
        }

        void delete() throws Exception {
            Integer id = any();
            if (id == null) {
                return;
            }
            try (PreparedStatement p = c.prepareStatement("delete from items where id = ?")) {
                p.setInt(1, id);
                changes += p.executeUpdate();
            }
            ids.remove(id);
        }

        /** One statement, many rows. */
        void groupUpdate() throws Exception {
            try (PreparedStatement p = c.prepareStatement(
                    "update items set score = coalesce(score, 0) + 1, " + "flag = not flag where grp = ?")) {
                p.setString(1, GROUPS[rnd.nextInt(GROUPS.length - 1)]);
                changes += p.executeUpdate();
            }
        }

        /** Moves points between two pairs rows: the pairs total stays PAIRS_TOTAL at every commit. */
        void transfer() throws Exception {
            int a = rnd.nextInt(PAIRS);
            int b = (a + 1 + rnd.nextInt(PAIRS - 1)) % PAIRS;
            int k = 1 + rnd.nextInt(30);
            try (Statement s = c.createStatement()) {
                changes += s.executeUpdate("update pairs set score = score - " + k + " where id = " + a);
                changes += s.executeUpdate("update pairs set score = score + " + k + " where id = " + b);
            }
        }

        Integer any() {
            if (ids.isEmpty()) {
                return null;
            }
            int i = rnd.nextInt(ids.size());
            for (Integer id : ids) {
                if (i-- == 0) {
                    return id;
                }
            }
            return null;
        }

        static void setNullable(PreparedStatement p, int i, Integer v) throws Exception {
            if (v == null) {
                p.setNull(i, java.sql.Types.INTEGER);
            } else {
                p.setInt(i, v);
            }
        }

        /** The window as Postgres computes it, in the form of {@link #rows}. */
        List<String> oracle(String sql) throws Exception {
            List<String> out = new ArrayList<>();
            try (Connection o = pg.connect();
                    Statement s = o.createStatement();
                    ResultSet r = s.executeQuery(sql)) {
                boolean pairs = r.getMetaData().getColumnCount() == 2;
                while (r.next()) {
                    StringBuilder b = new StringBuilder(r.getString("id"));
                    for (String f : COLUMNS) {
                        Object v = pairs && !f.equals("score") ? null : r.getObject(f);
                        b.append('|')
                                .append(
                                        v == null
                                                ? "null"
                                                : v instanceof BigDecimal d
                                                        ? d.stripTrailingZeros().toPlainString()
                                                        : v.toString());
                    }
                    out.add(b.toString());
                }
            }
            return out;
        }
    }

    /**
     * Drains a window of all pairs straight from the backend while the workload runs: after each
     * drain the window it holds must add up to the total every committed transaction keeps.
     */
    static final class Probe {
        final List<String> violations = new CopyOnWriteArrayList<>();
        final AtomicInteger checks = new AtomicInteger();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Probe(dev.livequery.core.Backend backend) throws Exception {
            Semaphore wake = new Semaphore(0);
            Subscription sub = backend.subscribe(
                    Query.parse(
                            Json.MAPPER.readTree("{\"table\":\"pairs\",\"order\":[{\"field\":\"id\"}],\"limit\":50}")),
                    null,
                    wake::release);
            Replica replica = new Replica();
            thread = Thread.ofPlatform().name("pairs-probe").start(() -> {
                try {
                    while (!stop.get()) {
                        wake.tryAcquire(100, TimeUnit.MILLISECONDS);
                        List<Frame> out = new ArrayList<>();
                        sub.drain(out, Integer.MAX_VALUE);
                        for (Frame f : out) {
                            replica.apply(Json.MAPPER.readTree(FrameCodec.toJson(f, "probe")));
                        }
                        if (!out.isEmpty() && replica.readies() > 0) {
                            checks.incrementAndGet();
                            int sum = replica.rows().stream()
                                    .mapToInt(r -> r.get("score").asInt())
                                    .sum();
                            if (replica.rows().size() != PAIRS || sum != PAIRS_TOTAL) {
                                violations.add(
                                        replica.rows().size() + " rows adding up to " + sum + ": " + replica.rows());
                            }
                        }
                    }
                } catch (Exception e) {
                    violations.add("probe failed: " + e);
                } finally {
                    sub.close();
                }
            });
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }
}
