package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.gateway.PostgresSourceWireTest.Window;
import dev.livequery.gateway.PostgresSourceWireTest.Workload;
import dev.livequery.shard.RedisProcess;
import dev.livequery.shard.backend.RedisBackend;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.shard.store.Keys;
import dev.livequery.shard.store.Redis;
import dev.livequery.sources.postgres.PostgresProcess;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cluster mode of the Postgres source: two gateway processes configured with the same source
 * over a real redis-server and two shards; one holds the source lease and streams, the other
 * stands by. A SQL workload of multi-row transactions over two tables runs; the holder is
 * SIGKILLed (or paused past its lease) while it is applying it, the other takes the lease over
 * once it expires and resumes from the position stored with the last applied transaction. At the end every window (WebSocket,
 * on the surviving gateway) equals Postgres and was never reset, and the change counts stored
 * atomically with the positions add up to exactly the row changes the workload committed: no
 * transaction missing, none applied twice.
 */
@Slow
@Cluster
class PostgresSourceClusterTest {
    static final EngineOptions OPTIONS = EngineOptions.defaults().withHorizon(10_000, Duration.ofMinutes(5), 1_000_000);

    /**
     * KILL: SIGKILL, its lease expires. PAUSE: SIGSTOP past the lease TTL, so the standby claims
     * the tables while the paused holder still streams (its replication connection holds the
     * slot, so the standby cannot start until it is gone); SIGCONT: the old holder's next writes
     * are refused by the fence, it stops, and one of the two streams from the stored position.
     */
    enum Fault { KILL, PAUSE }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void theSourceMovesToTheOtherGatewayFromTheStoredPosition(Fault fault) throws Exception {
        long seed = Long.getLong("lq.seed", new Random().nextLong());
        String context = "seed " + seed + " (rerun with -Dlq.seed=" + seed + ")";
        EngineOptions options = OPTIONS;
        try (PostgresProcess pg = PostgresProcess.start();
                RedisProcess redis = RedisProcess.start(false);
                Redis probe = Redis.connect(redis.uri(), Duration.ofSeconds(2));
                Shard s1 = new Shard(new Shard.Config("pgc1", redis.uri(), options, 2000, 10_000), new SimpleMeterRegistry());
                Shard s2 = new Shard(new Shard.Config("pgc2", redis.uri(), options, 2000, 10_000), new SimpleMeterRegistry())) {
            s1.start();
            s2.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> s1.owned().size() + s2.owned().size() == Keys.PARTITIONS);
            Workload w = new Workload(pg, new Random(seed));
            w.seed();
            Map<String, String> env = new HashMap<>();
            env.put("LIVEQUERY_SECRET", "pg-cluster-test-secret");
            env.put("LIVEQUERY_SOURCES_POSTGRES_URL", pg.jdbcUrl());
            env.put("LIVEQUERY_SOURCES_POSTGRES_TABLES_0_SOURCE", "public.items");
            env.put("LIVEQUERY_SOURCES_POSTGRES_TABLES_0_TABLE", "items");
            env.put("LIVEQUERY_SOURCES_POSTGRES_TABLES_1_SOURCE", "public.pairs");
            env.put("LIVEQUERY_SOURCES_POSTGRES_TABLES_1_TABLE", "pairs");
            List<GatewayProcess> gws = GatewayProcess.startAll(2, redis.uri(), env);
            try {
                run(fault, w, gws, probe, redis.uri(), context + ", fault " + fault);
            } catch (Throwable t) {
                for (GatewayProcess g : gws) {
                    System.out.println("gateway " + g.port + " log:\n" + g.logText());
                }
                throw t;
            } finally {
                gws.forEach(GatewayProcess::close);
            }
        }
    }

    private void run(Fault fault, Workload w, List<GatewayProcess> gws, Redis redis, String redisUri, String context)
            throws Exception {
        GatewayProcess[] owner = new GatewayProcess[1];
        await("one gateway holds the source lease and streams").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    for (GatewayProcess g : gws) {
                        JsonNode s = source(g);
                        if (s.path("role").asText().equals("owner") && s.path("state").asText().equals("streaming")) {
                            owner[0] = g;
                            return true;
                        }
                    }
                    return false;
                });
        GatewayProcess a = owner[0];
        GatewayProcess b = gws.get(0) == a ? gws.get(1) : gws.get(0);
        assertThat(source(b).path("role").asText()).as("the other gateway stands by").isEqualTo("standby");

        // Windows on the standby (it survives): the holder writes into Redis, the shards serve them everywhere.
        WsClient ws = WsClient.connect(b.port);
        List<Window> windows = new ArrayList<>();
        ws.send("{\"action\":\"subscribe\",\"sub\":\"w1\",\"query\":{\"table\":\"items\",\"where\":{\"grp\":\"a\"},"
                + "\"order\":[{\"field\":\"score\",\"dir\":\"desc\"},{\"field\":\"name\"}],\"limit\":7}}");
        windows.add(new Window("ws where grp=a order -score,name limit 7", ws.replica("w1"),
                "select * from items where grp = 'a' order by score desc nulls last, name collate \"C\", "
                + "id::text collate \"C\" limit 7"));
        ws.send("{\"action\":\"subscribe\",\"sub\":\"w2\",\"query\":{\"table\":\"items\",\"order\":[{\"field\":\"name\"}],"
                + "\"limit\":10}}");
        windows.add(new Window("ws order name limit 10", ws.replica("w2"),
                "select * from items order by name collate \"C\", id::text collate \"C\" limit 10"));
        ws.send("{\"action\":\"subscribe\",\"sub\":\"p\",\"query\":{\"table\":\"pairs\",\"order\":[{\"field\":\"score\"}],"
                + "\"limit\":50}}");
        windows.add(new Window("ws pairs order score", ws.replica("p"),
                "select * from pairs order by score nulls first, id::text collate \"C\" limit 50"));
        await().atMost(Duration.ofSeconds(30)).until(() -> windows.stream().allMatch(x -> x.replica().readies > 0));
        await("the snapshot reached the windows").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(PostgresSourceWireTest.rows(windows.get(1).replica().rows()))
                        .isEqualTo(w.oracle(windows.get(1).sql())));

        // A gateway's backend in this JVM: its probe drains a window of the balanced pairs as the
        // shards deliver it, and must never see half a transaction.
        try (RedisBackend probeGateway = new RedisBackend(OPTIONS, redisUri, "pgc-probe", new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(30)).until(probeGateway::ready);
            PostgresSourceWireTest.Probe probe = new PostgresSourceWireTest.Probe(probeGateway);
            try {
                workload(fault, w, gws, a, b, windows, redis, context);
            } finally {
                probe.stop();
            }
            assertThat(probe.violations).as("probe saw half a transaction, %s", context).isEmpty();
            assertThat(probe.checks.get()).as("the probe drained mid-stream").isGreaterThan(3);
        }
        ws.close();
    }

    private void workload(Fault fault, Workload w, List<GatewayProcess> gws, GatewayProcess a, GatewayProcess b,
            List<Window> windows, Redis redis, String context) throws Exception {
        // A backlog the holder is still applying when it is killed.
        w.run(40, PostgresSourceWireTest.Fault.NONE, null);
        long before = w.changes;
        CompletableFuture<Void> more = CompletableFuture.runAsync(() -> {
            try {
                w.run(80, PostgresSourceWireTest.Fault.NONE, null);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await("the holder is streaming the second batch").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20)).until(() -> applied(redis) > before || more.isDone());
        long atKill = applied(redis);
        long killed = System.nanoTime();
        GatewayProcess streams = b;
        if (fault == Fault.KILL) {
            a.sigkill();
        } else {
            String lease = redis.cmd().get(Keys.sourceOwner("livequery"));
            long fence = Long.parseLong(lease.substring(lease.lastIndexOf(':') + 1));
            GatewayPauseTest.signal(a, "STOP");
            try {
                await("the standby claims the tables while the holder is paused").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100)).until(() -> {
                            String f = redis.cmd().hget(Keys.sourcePosition("livequery", "items"), "fence");
                            return f != null && Long.parseLong(f) > fence;
                        });
            } finally {
                GatewayPauseTest.signal(a, "CONT");
            }
        }
        more.get();
        assertThat(atKill).as("stopped mid-stream: changes applied at the fault vs committed (%s)", context)
                .isLessThan(w.changes);

        GatewayProcess[] now = new GatewayProcess[1];
        await("a gateway streams the source again").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    for (GatewayProcess g : fault == Fault.KILL ? List.of(b) : gws) {
                        JsonNode s = source(g);
                        if (s.path("role").asText().equals("owner") && s.path("state").asText().equals("streaming")) {
                            now[0] = g;
                            return true;
                        }
                    }
                    return false;
                });
        streams = now[0];
        System.out.println("source streamed again " + Duration.ofNanos(System.nanoTime() - killed).toMillis()
                + " ms after the " + fault + " of its holder (lease TTL 3000 ms)");
        w.run(30, PostgresSourceWireTest.Fault.NONE, null); // and it keeps following Postgres

        await("every window equals Postgres").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    for (Window win : windows) {
                        assertThat(win.replica().violations()).as("%s %s", win.name(), context).isEmpty();
                        assertThat(PostgresSourceWireTest.rows(win.replica().rows()))
                                .as("%s equals Postgres, %s", win.name(), context).isEqualTo(w.oracle(win.sql()));
                    }
                    assertThat(applied(redis)).as("row changes applied (stored with the positions), %s", context)
                            .isEqualTo(w.changes);
                });
        for (Window win : windows) {
            assertThat(win.replica().resetCauses()).as("%s: a takeover is invisible to clients, %s", win.name(), context)
                    .containsExactly("subscribe");
        }
        if (fault == Fault.KILL) {
            assertThat(metric(streams, "source_snapshots")).as("the successor resumed, it did not snapshot again").isZero();
            assertThat(metric(streams, "source_takeovers")).isEqualTo(1);
        }
        for (GatewayProcess g : gws) {
            if (g.process.isAlive() && g != streams) {
                assertThat(source(g).path("role").asText()).as("one holder at a time").isEqualTo("standby");
            }
        }
    }

    /** Row changes applied to both tables, as counted by the write script that stored each transaction. */
    static long applied(Redis redis) {
        long n = 0;
        for (String t : List.of("items", "pairs")) {
            String c = redis.cmd().hget(Keys.sourcePosition("livequery", t), "changes");
            n += c == null ? 0 : Long.parseLong(c);
        }
        return n;
    }

    static JsonNode source(GatewayProcess g) {
        try {
            HttpResponse<String> r = WsClient.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port
                    + "/health")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return Json.MAPPER.readTree(r.body()).path("source");
        } catch (Exception e) {
            return Json.MAPPER.createObjectNode();
        }
    }

    /** A backend gauge from {@code /metrics} ({@code livequery_backend_<name>}), or -1. */
    static long metric(GatewayProcess g, String name) throws Exception {
        HttpResponse<String> r = WsClient.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        for (String line : r.body().split("\n")) {
            if (line.startsWith("livequery_backend_" + name + " ") || line.startsWith("livequery_backend_" + name + "{")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }
}
