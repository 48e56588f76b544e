package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.gateway.PostgresSourceWireTest.Fault;
import dev.livequery.gateway.PostgresSourceWireTest.Workload;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.GatewayProcess;
import dev.livequery.testkit.process.PostgresProcess;
import dev.livequery.testkit.wire.SseClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL of the process that runs the source (embedded mode: the gateway) in the middle of a
 * workload. The next gateway finds the dead one's slot, drops it, snapshots again; clients
 * resuming with their last eid get {@code reset epoch} and then a window equal to Postgres, and
 * every row's version is at least the one it had before the kill (versions come from LSNs).
 */
@Slow
class PostgresSourceRestartTest {
    static final String WINDOW = "select * from items order by name collate \"C\", id::text collate \"C\" limit 10";

    @Test
    void aKilledGatewaysSuccessorSnapshotsAgainAndClientsResumeWithResetEpoch() throws Exception {
        long seed = Long.getLong("lq.seed", new Random().nextLong());
        String context = "seed " + seed + " (rerun with -Dlq.seed=" + seed + ")";
        try (PostgresProcess pg = PostgresProcess.start()) {
            Workload w = new Workload(pg, new Random(seed));
            w.seed();
            Map<String, String> env = new HashMap<>();
            env.put("LIVEQUERY_BACKEND", "local");
            env.put("LIVEQUERY_SECRET", "restart-test-secret");
            env.put("LIVEQUERY_SOURCES_POSTGRES_URL", pg.jdbcUrl());
            env.put("LIVEQUERY_SOURCES_POSTGRES_TABLES_0_SOURCE", "public.items");
            env.put("LIVEQUERY_SOURCES_POSTGRES_TABLES_0_TABLE", "items");
            String path = "/v1/live/items?order=name&limit=10";
            GatewayProcess a = GatewayProcess.start("redis://unused", env);
            SseClient before;
            Replica held;
            try {
                before = SseClient.open(a.port, path, null, null);
                await().atMost(Duration.ofSeconds(30)).until(() -> before.replica.readies() > 0);
                CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
                    try {
                        w.run(60, Fault.NONE, null);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                await().atMost(Duration.ofSeconds(60)).until(() -> w.transactions >= 20 || run.isDone());
                a.sigkill();
                before.close();
                held = before.replica.copy();
                run.get();
            } finally {
                a.close();
            }
            assertThat(held.lastEid())
                    .as("the client applied frames before the kill")
                    .isNotNull();
            Map<String, Long> versionsBefore = new HashMap<>(held.versions());

            GatewayProcess b = GatewayProcess.start("redis://unused", env);
            try (SseClient after = SseClient.open(b.port, path, held.lastEid(), held)) {
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200))
                        .untilAsserted(() -> assertThat(PostgresSourceWireTest.rows(after.replica.rows()))
                                .as(context)
                                .isEqualTo(w.oracle(WINDOW)));
                assertThat(after.replica.resetCauses()).as(context).containsExactly("subscribe", "epoch");
                assertThat(after.replica.violations()).isEmpty();
                for (JsonNode r : after.replica.rows()) {
                    Long old = versionsBefore.get(r.get("id").asText());
                    if (old != null) {
                        assertThat(after.replica.versions().get(r.get("id").asText()))
                                .as("version of %s, %s", r, context)
                                .isGreaterThanOrEqualTo(old);
                    }
                }
                JsonNode health = dev.livequery.core.Json.MAPPER.readTree(
                        TestGateway.http(b.port, "GET", "/health", null).body());
                assertThat(health.at("/source/state").asText()).isEqualTo("streaming");
            } finally {
                b.close();
            }
        }
    }
}
