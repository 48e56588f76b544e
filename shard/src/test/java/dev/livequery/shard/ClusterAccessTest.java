package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Frame;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LiveQueryException.Code;
import dev.livequery.core.Query;
import dev.livequery.core.Row;
import dev.livequery.core.Where;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL §9 in cluster mode, through a real redis-server and a shard: the access filter
 * travels to the shard as part of the shape, and write checks are one atomic step.
 */
@Cluster
class ClusterAccessTest {
    static RedisProcess redis;
    static Shard shard;
    static RedisBackend a;
    static RedisBackend b;
    static Where acme;
    static Where globex;

    @BeforeAll
    static void up() throws Exception {
        redis = RedisProcess.start(false);
        shard = new Shard(
                new Shard.Config("t1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000), new SimpleMeterRegistry());
        shard.start();
        a = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwA", new SimpleMeterRegistry());
        b = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwB", new SimpleMeterRegistry());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> a.ready() && b.ready() && shard.owned().size() == 256);
        acme = Where.parse(Json.MAPPER.readTree("{\"tenant\":\"acme\"}"));
        globex = Where.parse(Json.MAPPER.readTree("{\"tenant\":\"globex\"}"));
    }

    @AfterAll
    static void down() throws Exception {
        b.close();
        a.close();
        shard.close();
        redis.close();
    }

    static Code code(ThrowingCall c) {
        LiveQueryException e = catchThrowableOfType(LiveQueryException.class, c::run);
        return e == null ? null : e.code();
    }

    interface ThrowingCall {
        void run() throws Exception;
    }

    static void noRowOutside(Client c, String tenant) {
        for (Frame f : c.all) {
            if (f instanceof Frame.Placed p) {
                assertThat(p.row().data().get("tenant").asText())
                        .as("frame %s", f)
                        .isEqualTo(tenant);
            }
        }
    }

    @Test
    void aSubscriptionWithAnAccessFilterSeesOnlyItsTenantAndResumesOnlyUnderIt() throws Exception {
        String base =
                "{\"table\":\"sub\",\"where\":{\"open\":true},\"order\":[{\"field\":\"price\",\"dir\":\"desc\"}],\"limit\":4}";
        Query q = query(base);
        // the truth is the same filter written into the where: another path through the engine
        Query truthAcme = query(base.replace("{\"open\":true}", "{\"open\":true,\"tenant\":\"acme\"}"));
        for (int i = 0; i < 12; i++) {
            a.put(
                    "sub",
                    "p" + i,
                    row("{\"price\":" + i + ",\"open\":true,\"tenant\":\"" + (i % 2 == 0 ? "acme" : "globex") + "\"}"),
                    null);
        }
        Client c = new Client(b.subscribe(q.withAccess(acme), null, () -> {}));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> c.poll().ready() && c.window().equals(truth(a, truthAcme)));
        assertThat(c.window()).extracting(Client.Item::id).containsExactly("p10", "p8", "p6", "p4");
        // a globex row going over every acme price, then an acme one
        a.put("sub", "g99", row("{\"price\":99,\"open\":true,\"tenant\":\"globex\"}"), null);
        a.patch("sub", "p3", row("{\"tenant\":\"acme\",\"price\":50}"), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> c.poll().window().equals(truth(a, truthAcme)));
        assertThat(c.window()).extracting(Client.Item::id).containsExactly("p3", "p10", "p8", "p6");
        noRowOutside(c, "acme");
        assertThat(c.resets()).containsExactly("subscribe");

        // one-shot query and get under the filter, through the other gateway
        assertThat(truth(b, q.withAccess(acme))).isEqualTo(c.window());
        assertThat(code(() -> b.get("sub", "g99", acme))).isEqualTo(Code.NOT_FOUND);
        assertThat(b.get("sub", "p3", acme).data().get("price").asInt()).isEqualTo(50);

        // resume on the other gateway under the same filter: no reset
        String eid = c.lastEid();
        c.sub.close();
        a.put("sub", "p20", row("{\"price\":60,\"open\":true,\"tenant\":\"acme\"}"), null);
        Client r = Client.resuming(a.subscribe(q.withAccess(acme), eid, () -> {}), c);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> r.poll().ready() && r.window().equals(truth(a, truthAcme)));
        assertThat(r.resets()).as("no reset since the held window").isEqualTo(c.resets());
        assertThat(r.resumedReadies()).isEqualTo(c.resumedReadies() + 1);
        noRowOutside(r, "acme");

        // the same token under another filter, or none, is a resume_miss
        for (Where other : new Where[] {globex, null}) {
            Client x = new Client(b.subscribe(q.withAccess(other), r.lastEid(), () -> {}));
            await().atMost(Duration.ofSeconds(10)).until(() -> x.poll().ready());
            assertThat(x.resets()).containsExactly("resume_miss");
            if (other == globex) {
                noRowOutside(x, "globex");
            }
            x.sub.close();
        }
        // and a cursor of one filter is refused under another, on the shard as on the gateway
        String cursor = a.query(q.withAccess(acme)).cursors().get(0);
        Query paged = query(base.replace("\"limit\":4", "\"limit\":4,\"after\":\"" + cursor + "\""));
        assertThat(a.query(paged.withAccess(acme)).rows()).isNotEmpty();
        assertThat(code(() -> a.query(paged.withAccess(globex)))).isEqualTo(Code.BAD_QUERY);
        assertThat(code(() -> b.subscribe(paged.withAccess(globex), null, () -> {})))
                .isEqualTo(Code.BAD_QUERY);
        r.sub.close();
    }

    @Test
    void writeChecksAre404BeforeAnd403AfterAndChangeNothing() throws Exception {
        long g = a.put("wc", "g1", row("{\"tenant\":\"globex\",\"n\":1}"), null).version();
        a.put("wc", "a1", row("{\"tenant\":\"acme\",\"n\":1}"), null);
        assertThat(code(() -> b.put("wc", "g1", row("{\"tenant\":\"acme\"}"), null, acme)))
                .isEqualTo(Code.NOT_FOUND);
        assertThat(code(() -> b.put("wc", "g1", row("{\"tenant\":\"acme\"}"), g, acme)))
                .isEqualTo(Code.NOT_FOUND);
        assertThat(code(() -> b.patch("wc", "g1", row("{\"n\":2}"), null, acme)))
                .isEqualTo(Code.NOT_FOUND);
        assertThat(code(() -> b.delete("wc", "g1", null, acme))).isEqualTo(Code.NOT_FOUND);
        assertThat(code(() -> b.put("wc", "new", row("{\"tenant\":\"globex\"}"), null, acme)))
                .isEqualTo(Code.FORBIDDEN);
        assertThat(code(() -> b.patch("wc", "a1", row("{\"tenant\":\"globex\"}"), null, acme)))
                .isEqualTo(Code.FORBIDDEN);
        assertThat(code(() -> b.batch("wc", List.of(row("{\"id\":\"a2\",\"tenant\":\"acme\"}")), List.of("g1"), acme)))
                .isEqualTo(Code.NOT_FOUND);
        assertThat(code(() -> b.batch(
                        "wc",
                        List.of(
                                row("{\"id\":\"a2\",\"tenant\":\"acme\"}"),
                                row("{\"id\":\"a3\",\"tenant\":\"globex\"}")),
                        List.of(),
                        acme)))
                .isEqualTo(Code.FORBIDDEN);
        // nothing changed
        assertThat(a.get("wc", "g1").version()).isEqualTo(g);
        assertThat(a.get("wc", "a1").data().get("tenant").asText()).isEqualTo("acme");
        assertThat(code(() -> a.get("wc", "a2"))).isEqualTo(Code.NOT_FOUND);
        assertThat(code(() -> a.get("wc", "new"))).isEqualTo(Code.NOT_FOUND);
        // allowed writes go through
        b.patch("wc", "a1", row("{\"n\":5}"), null, acme);
        b.batch("wc", List.of(row("{\"id\":\"a2\",\"tenant\":\"acme\"}")), List.of("a1"), acme);
        assertThat(a.get("wc", "a2", acme).id()).isEqualTo("a2");
        assertThat(code(() -> a.get("wc", "a1"))).isEqualTo(Code.NOT_FOUND);
    }

    /**
     * A writer under the acme filter races an unrestricted writer that keeps moving the row
     * between tenants. Read from the change stream, every change the acme writer made must have
     * had an acme before-image: a check on one version and a write onto another would show here.
     */
    @Test
    void theCheckAndTheWriteAreOneAtomicStep() throws Exception {
        a.put("race", "r1", row("{\"tenant\":\"acme\",\"by\":\"setup\"}"), null);
        AtomicInteger landed = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        CompletableFuture<Void> checked = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 300; i++) {
                try {
                    a.patch("race", "r1", row("{\"by\":\"acme-writer\",\"i\":" + i + "}"), null, acme);
                    landed.incrementAndGet();
                } catch (LiveQueryException e) {
                    assertThat(e.code()).isIn(Code.NOT_FOUND, Code.UNAVAILABLE);
                    refused.incrementAndGet();
                }
            }
        });
        CompletableFuture<Void> mover = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 300; i++) {
                try {
                    b.patch(
                            "race",
                            "r1",
                            row("{\"tenant\":\"" + (i % 2 == 0 ? "globex" : "acme") + "\",\"by\":\"mover\"}"),
                            null);
                } catch (LiveQueryException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        CompletableFuture.allOf(checked, mover).get();
        assertThat(landed.get()).as("writes that passed the check").isPositive();
        assertThat(refused.get()).as("writes refused while the row was globex").isPositive();

        try (Redis r = Redis.connect(redis.uri(), Duration.ofSeconds(5))) {
            RowStore store = new RowStore(r, Fixtures.OPTIONS);
            List<RowStore.Change> changes = store.range(Keys.partition("race"), "0-0", "+", 100_000);
            int byChecked = 0;
            for (RowStore.Change c : changes) {
                if (!c.table().equals("race") || c.after() == null || !"acme-writer".equals(text(c.after(), "by"))) {
                    continue;
                }
                byChecked++;
                assertThat(text(c.before(), "tenant"))
                        .as("before-image of checked write v%d", c.version())
                        .isEqualTo("acme");
                assertThat(text(c.after(), "tenant")).isEqualTo("acme");
            }
            assertThat(byChecked).isEqualTo(landed.get());
        }
        Row last = a.get("race", "r1");
        assertThat(last.data().get("tenant").asText()).isIn("acme", "globex");
    }

    /**
     * Seeded random writes through both gateways, unrestricted and under tenant filters, while
     * each tenant watches through a gateway (two acme subscribers, on different gateways, share
     * the shard's view): every window converges to its tenant's truth and no frame ever carries
     * another tenant's row. Rerun a failure with {@code -Dlivequery.seed=<seed>}.
     */
    @Test
    void randomWritesNeverLeakAcrossTenants() throws Exception {
        String fixed = System.getProperty("livequery.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : new java.security.SecureRandom().nextLong();
        try {
            randomRun(seed);
        } catch (Throwable t) {
            throw new AssertionError("cluster tenant isolation failed with seed " + seed + ": " + t.getMessage(), t);
        }
    }

    private void randomRun(long seed) throws Exception {
        java.util.Random rnd = new java.util.Random(seed);
        String[] tenants = {"acme", "globex", "initech"};
        String base = "{\"table\":\"iso\",\"where\":{\"open\":true},\"order\":[{\"field\":\"price\",\"dir\":\"desc\"}],"
                + "\"limit\":5}";
        Query q = query(base);
        List<String> watched = List.of("acme", "globex", "initech", "acme");
        List<Client> clients = new java.util.ArrayList<>();
        for (int i = 0; i < watched.size(); i++) {
            Where f = Where.parse(Json.MAPPER.readTree("{\"tenant\":\"" + watched.get(i) + "\"}"));
            clients.add(new Client((i % 2 == 0 ? a : b).subscribe(q.withAccess(f), null, () -> {})));
        }
        for (int step = 1; step <= 160; step++) {
            RedisBackend via = rnd.nextBoolean() ? a : b;
            String id = "r" + rnd.nextInt(20);
            String tenant = tenants[rnd.nextInt(tenants.length)];
            Where filter = rnd.nextInt(3) == 0
                    ? Where.parse(Json.MAPPER.readTree("{\"tenant\":\"" + tenants[rnd.nextInt(tenants.length)] + "\"}"))
                    : null;
            try {
                switch (rnd.nextInt(4)) {
                    case 0, 1 ->
                        via.put(
                                "iso",
                                id,
                                row("{\"tenant\":\"" + tenant + "\",\"price\":" + rnd.nextInt(50) + ",\"open\":"
                                        + (rnd.nextInt(4) > 0) + "}"),
                                null,
                                filter);
                    case 2 ->
                        via.patch(
                                "iso",
                                id,
                                row(
                                        rnd.nextBoolean()
                                                ? "{\"tenant\":\"" + tenant + "\"}"
                                                : "{\"price\":" + rnd.nextInt(50) + "}"),
                                null,
                                filter);
                    default -> via.delete("iso", id, null, filter);
                }
            } catch (LiveQueryException e) {
                assertThat(e.code()).as("write refused").isIn(Code.NOT_FOUND, Code.FORBIDDEN);
            }
            if (step % 40 == 0) {
                for (int i = 0; i < clients.size(); i++) {
                    Client c = clients.get(i);
                    Query truthQ = query(
                            base.replace("{\"open\":true}", "{\"open\":true,\"tenant\":\"" + watched.get(i) + "\"}"));
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> c.poll().ready() && c.window().equals(truth(a, truthQ)));
                    noRowOutside(c, watched.get(i));
                    assertThat(c.violations()).isEmpty();
                }
            }
        }
        for (Client c : clients) {
            c.sub.close();
        }
    }

    static String text(ObjectNode o, String field) {
        return o == null || o.get(field) == null ? null : o.get(field).asText();
    }
}
