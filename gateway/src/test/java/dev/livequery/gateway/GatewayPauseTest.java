package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.GatewayProcess;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.wire.WsClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 §4: a gateway process is SIGSTOPped for 20 s (past its 15 s heartbeat) while writes go
 * on through another gateway. Shards presume it dead: they close its subscriptions and delete
 * its delivery stream. When it wakes it finds its heartbeat expired ({@code SET … GET}) and
 * re-attaches everything: the WebSocket client gets {@code status stale}, {@code live}, the
 * splice, and ends equal to the truth with every frame applying cleanly (no reset).
 */
@Cluster
@Slow
class GatewayPauseTest {
    static final String Q = "{\"table\":\"gp\",\"order\":[{\"field\":\"n\"}],\"limit\":6}";

    @Test
    void aGatewayPausedPastItsHeartbeatReattachesEverything() throws Exception {
        EngineOptions options = EngineOptions.defaults();
        try (RedisProcess redis = RedisProcess.start(false);
                Shard shard = new Shard(
                        new Shard.Config("gp1", redis.uri(), options, 2000, 10_000), new SimpleMeterRegistry());
                RedisBackend writer = new RedisBackend(options, redis.uri(), "gpW", new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            shard.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> shard.owned().size() == 256);
            for (int i = 0; i < 10; i++) {
                writer.put(
                        "gp",
                        "r" + i,
                        (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree("{\"n\":" + i + "}"),
                        null);
            }
            try (GatewayProcess a = GatewayProcess.start(redis.uri(), Map.of("LIVEQUERY_GATEWAY_ID", "gpA"));
                    WsClient ws = WsClient.connect(a.port)) {
                ws.send("{\"action\":\"subscribe\",\"sub\":\"s\",\"query\":" + Q + "}");
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> ws.replica("s").readies() >= 1);

                a.signal("STOP");
                try {
                    for (int w = 0; w < 40; w++) { // 20 s of writes elsewhere
                        writer.put(
                                "gp",
                                "r" + (w % 12),
                                (com.fasterxml.jackson.databind.node.ObjectNode)
                                        Json.MAPPER.readTree("{\"n\":" + ((w * 7) % 30 - 10) + "}"),
                                null);
                        LockSupport.parkNanos(500_000_000L); // pacing the writes over the pause
                    }
                    await("the shards presumed gateway A dead")
                            .atMost(Duration.ofSeconds(30))
                            .until(() -> direct.cmd().exists(Keys.delivery("gpA")) == 0
                                    && !direct.cmd().sismember(Keys.GATEWAYS, "gpA"));
                } finally {
                    a.signal("CONT");
                }
                Replica r = ws.replica("s");
                await("the window on A converges after the pause")
                        .atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .untilAsserted(() -> {
                            List<JsonNode> truth = TestGateway.truth(a.port, "gp", "order=n&limit=6");
                            assertThat(r.rows()).isEqualTo(truth);
                        });
                List<String> statuses = ws.frames("status", null).stream()
                        .map(f -> f.path("state").asText())
                        .toList();
                System.out.println("gateway pause: statuses " + statuses + ", resets " + r.resetCauses()
                        + "; status frames " + ws.frames("status", null));
                if (!statuses.contains("stale")) {
                    System.out.println("gateway A log:\n" + a.logText());
                }
                assertThat(statuses).containsSubsequence("stale", "live");
                assertThat(r.violations()).isEmpty();
                assertThat(r.resetCauses()).containsExactly("subscribe");
                assertThat(a.logText()).contains("heartbeat had expired");
            }
        }
    }
}
