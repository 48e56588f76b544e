package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.EngineOptions;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.process.GatewayProcess;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.wire.SseClient;
import dev.livequery.testkit.wire.WsClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Two gateway processes (separate JVMs, redis backend) over two shards and a real redis-server.
 * WebSocket and SSE clients follow a table on gateway A while a writer keeps writing through B;
 * A is SIGKILLed (no close frames, no shutdown hook); the clients reconnect to B and resume with
 * the eid of the last frame they applied (WS: the subscribe's {@code resume}; SSE: Last-Event-ID).
 * PROTOCOL §3: they must get only the splice, then {@code ready resumed:true}, never a reset, and
 * end equal to the one-shot query with every frame applying cleanly.
 */
@Cluster
class GatewayKillTest {
    static final String TABLE = "gk";
    static final String Q_ALL = "{\"table\":\"gk\",\"order\":[{\"field\":\"n\"}],\"limit\":10}";
    static final String P_ALL = "order=n&limit=10";
    static final String Q_ODD =
            "{\"table\":\"gk\",\"where\":{\"odd\":true},\"order\":[{\"field\":\"n\",\"dir\":\"desc\"}],\"limit\":7}";
    static final String P_ODD = "where=" + TestGateway.enc("{\"odd\":true}") + "&order=-n&limit=7";
    static final String SSE_URL = "/v1/live/gk?order=-n,w&limit=8";
    static final String P_SSE = "order=-n,w&limit=8";
    static final String[] JSON = {"Content-Type", "application/json"};

    @Test
    void clientsResumeOnTheOtherGatewayAfterSigkill() throws Exception {
        EngineOptions options = EngineOptions.defaults().withHorizon(10_000, Duration.ofMinutes(5), 1_000_000);
        try (RedisProcess redis = RedisProcess.start(false);
                Shard s1 = new Shard(
                        new Shard.Config("gk1", redis.uri(), options, 2000, 10_000), new SimpleMeterRegistry());
                Shard s2 = new Shard(
                        new Shard.Config("gk2", redis.uri(), options, 2000, 10_000), new SimpleMeterRegistry())) {
            s1.start();
            s2.start();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> s1.owned().size() + s2.owned().size() == 256);
            List<GatewayProcess> gws = GatewayProcess.startAll(2, redis.uri(), Map.of());
            try {
                run(gws.get(0), gws.get(1));
            } catch (Throwable t) {
                System.out.println("gateway A log:\n" + gws.get(0).logText() + "\ngateway B log:\n"
                        + gws.get(1).logText());
                throw t;
            } finally {
                gws.forEach(GatewayProcess::close); // deletes the logs: after they were printed
            }
        }
    }

    private void run(GatewayProcess a, GatewayProcess b) throws Exception {
        for (int i = 0; i < 30; i++) {
            put(b.port, "r" + i, i, 0);
        }
        WsClient ws = WsClient.connect(a.port);
        ws.send("{\"action\":\"subscribe\",\"sub\":\"all\",\"query\":" + Q_ALL + "}");
        ws.send("{\"action\":\"subscribe\",\"sub\":\"odd\",\"query\":" + Q_ODD + "}");
        SseClient sse = SseClient.open(a.port, SSE_URL, null, null);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> ws.replica("all").readies() >= 1
                        && ws.replica("odd").readies() >= 1
                        && sse.replica.readies() >= 1);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger writes = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        Thread writer = Thread.ofVirtual().start(() -> {
            // Paced (a few hundred writes a second at most), bounded, through B: the clients' queues
            // must not overflow, since an overflow reset is not what this test is about.
            for (int w = 1; w <= 20_000 && !stop.get(); w++) {
                int id = (w * 7) % 40;
                try {
                    int status = w % 9 == 0
                            ? TestGateway.http(b.port, "DELETE", "/v1/tables/gk/rows/r" + id, null)
                                    .statusCode()
                            : put(b.port, "r" + id, (w * 13) % 50, w);
                    if (status != 200 && status != 404) {
                        failures.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                }
                writes.incrementAndGet();
                LockSupport.parkNanos(3_000_000L);
            }
        });
        try {
            // The clients follow the writes on A for a while.
            int mark = ws.replica("all").frames().size();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> ws.replica("all").frames().size() > mark + 20 && writes.get() > 100);

            a.sigkill();
            await("WS and SSE see gateway A gone")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> ws.closed.isDone() && sse.ended.getCount() == 0);
            int writesAtKill = writes.get();

            // Reconnect to B with what each client holds.
            WsClient ws2 = WsClient.connect(b.port);
            for (String sub : List.of("all", "odd")) {
                Replica held = ws.replica(sub).copy();
                ws2.replicas.put(sub, held);
                String q = sub.equals("all") ? Q_ALL : Q_ODD;
                ws2.send("{\"action\":\"subscribe\",\"sub\":\"" + sub + "\",\"query\":" + q + ",\"resume\":\""
                        + held.lastEid() + "\"}");
            }
            Replica sseHeld = sse.replica.copy();
            SseClient sse2 = SseClient.open(b.port, SSE_URL, sseHeld.lastEid(), sseHeld);
            List<Replica> resumed = List.of(ws2.replica("all"), ws2.replica("odd"), sse2.replica);
            await("resumed on B")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> resumed.stream().allMatch(r -> r.readies() >= 1));
            // The writer keeps going after the resume, and the resumed clients keep following it.
            int writesAtResume = writes.get();
            await().atMost(Duration.ofSeconds(20)).until(() -> writes.get() > writesAtResume + 100);
            stop.set(true);
            assertThat(writer.join(Duration.ofSeconds(30))).isTrue();
            assertThat(failures.get()).as("writes through B that failed").isZero();

            Map<Replica, String> params =
                    Map.of(ws2.replica("all"), P_ALL, ws2.replica("odd"), P_ODD, sse2.replica, P_SSE);
            await("replicas equal the truth")
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> {
                        for (Replica r : resumed) {
                            assertThat(r.violations())
                                    .as("frames that did not apply")
                                    .isEmpty();
                            List<JsonNode> truth = TestGateway.truth(b.port, TABLE, params.get(r));
                            assertThat(r.rows())
                                    .as(
                                            "%s; SSE stream on B %s, frames on B %s",
                                            params.get(r),
                                            sse2.state(),
                                            resumed.stream()
                                                    .map(x -> x.frames().size())
                                                    .toList())
                                    .isEqualTo(truth);
                        }
                    });
            assertThat(ws2.closed).isNotDone();
            for (Replica r : resumed) {
                List<JsonNode> fs = r.frames(); // this connection's frames only
                assertThat(fs)
                        .as("frames on B")
                        .noneMatch(f -> f.path("op").asText().equals("reset"));
                JsonNode firstReady = fs.stream()
                        .filter(f -> f.path("op").asText().equals("ready"))
                        .findFirst()
                        .orElseThrow();
                assertThat(firstReady.path("resumed").asBoolean())
                        .as("first ready on B: %s", firstReady)
                        .isTrue();
                assertThat(r.resetCauses()).as("resets over the client's life").containsExactly("subscribe");
                assertThat(r.violations()).isEmpty();
            }
            System.out.printf(
                    "gateway kill: %d writes before the kill, %d in all; frames after resume: %s%n",
                    writesAtKill,
                    writes.get(),
                    resumed.stream().map(r -> r.frames().size()).toList());
            ws2.close();
            sse2.close();
        } finally {
            stop.set(true);
            writer.join(Duration.ofSeconds(30));
        }
    }

    private static int put(int port, String id, int n, int w) throws Exception {
        return TestGateway.http(
                        port,
                        "PUT",
                        "/v1/tables/gk/rows/" + id,
                        "{\"n\":" + n + ",\"odd\":" + (n % 2 == 1) + ",\"w\":" + w + "}",
                        JSON)
                .statusCode();
    }
}
