package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Json;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.wire.SseClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SseTest {
    static TestGateway gw;
    static final String Q = "where=" + TestGateway.enc("{\"kind\":\"a\"}") + "&order=-price,name&limit=";

    @BeforeAll
    static void start() throws Exception {
        gw = new TestGateway("livequery.sse.heartbeat", "PT0.3S");
        for (int i = 0; i < 300; i++) {
            gw.put("sse", "r%03d".formatted(i), "kind", i % 5 == 0 ? "b" : "a", "price", i % 37, "name", "n" + i);
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void snapshotRetryHeartbeatAndLiveChange() throws Exception {
        try (SseClient c = SseClient.open(gw.port, "/v1/live/sse?" + Q + "10", null, null)) {
            assertThat(c.status).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica.readies() == 1);
            assertThat(c.lines.get(0)).isEqualTo("retry: 1000");
            assertThat(c.replica.rows()).isEqualTo(gw.truth("sse", Q + "10"));
            assertThat(c.replica.frames()).allMatch(f -> !f.has("sub") && f.hasNonNull("eid"));
            gw.put("sse", "top", "kind", "a", "price", 1000, "name", "top");
            try {
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica.ids().contains("top"));
                assertThat(c.replica.rows()).isEqualTo(gw.truth("sse", Q + "10"));
            } finally {
                gw.backend.delete("sse", "top", null);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> c.eventNames.contains("heartbeat"));
            // §5: a heartbeat is a named event with no id (an id would move EventSource's Last-Event-ID)
            java.util.List<String> event = new java.util.ArrayList<>();
            int heartbeats = 0;
            for (String line : c.lines) {
                if (!line.isEmpty()) {
                    event.add(line);
                    continue;
                }
                if (event.contains("event: heartbeat")) {
                    heartbeats++;
                    assertThat(event).as("a heartbeat event").noneMatch(l -> l.startsWith("id:"));
                }
                event.clear();
            }
            assertThat(heartbeats).isPositive();
            // every id: line names the frame that follows it
            for (int i = 0; i + 1 < c.lines.size(); i++) {
                if (c.lines.get(i).startsWith("id: ")) {
                    String eid = c.lines.get(i).substring(4);
                    assertThat(Json.MAPPER
                                    .readTree(c.lines.get(i + 1).substring(6))
                                    .get("eid")
                                    .asText())
                            .isEqualTo(eid);
                }
            }
        }
    }

    @Test
    void cutMidSnapshotThenResumeWithLastEventId() throws Exception {
        SseClient first = SseClient.open(gw.port, "/v1/live/sse?" + Q + "200", null, null, 40);
        first.ended.await();
        first.close();
        Replica held = first.replica.copy();
        assertThat(held.rows()).hasSize(39); // reset + 39 enters of 200
        gw.put("sse", "r001", "kind", "a", "price", 500, "name", "moved");
        gw.backend.delete("sse", "r002", null);
        try (SseClient again = SseClient.open(gw.port, "/v1/live/sse?" + Q + "200", held.lastEid(), held)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> again.replica.readies() == 1);
            assertThat(again.replica.lastReady().get("resumed").asBoolean()).isTrue();
            assertThat(again.replica.frames())
                    .noneMatch(f -> f.get("op").asText().equals("reset"));
            assertThat(again.replica.rows()).isEqualTo(gw.truth("sse", Q + "200"));
        } finally {
            gw.put("sse", "r002", "kind", "a", "price", 2, "name", "n2");
        }
    }

    @Test
    void cutMidStreamThenResumeWithParamAndNewWindow() throws Exception {
        SseClient first = SseClient.open(gw.port, "/v1/live/sse?" + Q + "20", null, null);
        await().atMost(Duration.ofSeconds(5)).until(() -> first.replica.readies() == 1);
        first.close();
        Replica held = first.replica.copy();
        for (int i = 0; i < 5; i++) {
            gw.put("sse", "new" + i, "kind", "a", "price", 30 + i, "name", "new" + i);
        }
        try {
            // resume as a reanchor over SSE: same shape, a bigger window
            try (SseClient again = SseClient.open(
                    gw.port, "/v1/live/sse?" + Q + "30&resume=" + TestGateway.enc(held.lastEid()), null, held)) {
                await().atMost(Duration.ofSeconds(5)).until(() -> again.replica.readies() == 1);
                assertThat(again.replica.lastReady().get("resumed").asBoolean()).isTrue();
                assertThat(again.replica.frames())
                        .noneMatch(f -> f.get("op").asText().equals("reset"));
                assertThat(again.replica.rows()).isEqualTo(gw.truth("sse", Q + "30"));
            }
        } finally {
            for (int i = 0; i < 5; i++) {
                gw.backend.delete("sse", "new" + i, null);
            }
        }
    }

    /**
     * EventSource reconnects to the URL it was given, so a URL made with {@code resume} keeps naming
     * that first token while {@code Last-Event-ID} names the last frame applied: the header wins
     * (PROTOCOL §5), or the client would get again what it already holds.
     */
    @Test
    void lastEventIdWinsOverTheResumeParameter() throws Exception {
        SseClient first = SseClient.open(gw.port, "/v1/live/sse?" + Q + "20", null, null);
        await().atMost(Duration.ofSeconds(5)).until(() -> first.replica.readies() == 1);
        String stale = first.replica.lastEid();
        int seen = first.replica.frames().size();
        gw.put("sse", "lei", "kind", "a", "price", 900, "name", "lei");
        try {
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> first.replica.ids().contains("lei")
                            && first.replica.frames().size() > seen);
            first.close();
            Replica held = first.replica.copy();
            assertThat(held.lastEid()).isNotEqualTo(stale);
            try (SseClient again = SseClient.open(
                    gw.port, "/v1/live/sse?" + Q + "20&resume=" + TestGateway.enc(stale), held.lastEid(), held)) {
                await().atMost(Duration.ofSeconds(5)).until(() -> again.replica.readies() == 1);
                assertThat(again.replica.frames())
                        .noneMatch(f -> f.get("op").asText().equals("reset"));
                assertThat(again.replica.frames())
                        .as("nothing the client holds is sent again")
                        .noneMatch(f -> f.path("id").asText().equals("lei"));
                assertThat(again.replica.rows()).isEqualTo(gw.truth("sse", Q + "20"));
            }
        } finally {
            gw.backend.delete("sse", "lei", null);
        }
    }

    @Test
    void forgedOrCrossShapeTokenIsResumeMiss() throws Exception {
        SseClient other = SseClient.open(gw.port, "/v1/live/sse?order=name&limit=5", null, null);
        await().atMost(Duration.ofSeconds(5)).until(() -> other.replica.readies() == 1);
        other.close();
        String foreign = other.replica.lastEid();
        String forged = foreign.substring(0, foreign.length() - 3) + (foreign.endsWith("AAA") ? "BBB" : "AAA");
        for (String token : new String[] {foreign, forged, "garbage!"}) {
            try (SseClient c = SseClient.open(gw.port, "/v1/live/sse?" + Q + "5", token, null)) {
                await().atMost(Duration.ofSeconds(5)).until(() -> c.replica.readies() == 1);
                assertThat(c.replica.frames().get(0).get("op").asText()).isEqualTo("reset");
                assertThat(c.replica.frames().get(0).get("cause").asText())
                        .as(token)
                        .isEqualTo("resume_miss");
                assertThat(c.replica.rows()).isEqualTo(gw.truth("sse", Q + "5"));
            }
        }
    }

    @Test
    void badQueryIs400BeforeTheStream() throws Exception {
        SseClient c = SseClient.open(gw.port, "/v1/live/sse?limit=abc", null, null);
        assertThat(c.status).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(c.body).at("/error/code").asText()).isEqualTo("bad_query");
        SseClient d = SseClient.open(gw.port, "/v1/live/sse?limit=5&where=%7Bnope", null, null);
        assertThat(d.status).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(d.body).at("/error/message").asText()).contains("where");
    }
}
