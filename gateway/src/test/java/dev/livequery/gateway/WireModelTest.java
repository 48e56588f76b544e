package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Randomized, over the wire: concurrent HTTP writers, WebSocket and SSE clients that subscribe,
 * reanchor and reconnect (resuming with their last eid) at random. After the writers stop, every
 * client's replica, built only from frames, must equal the one-shot query for its window.
 */
class WireModelTest {
    static final String[] SHAPES = {
        "{\"table\":\"m\",\"order\":[{\"field\":\"p\"}]",
        "{\"table\":\"m\",\"where\":{\"g\":1},\"order\":[{\"field\":\"p\",\"dir\":\"desc\"}]",
        "{\"table\":\"m\",\"where\":{\"p\":{\"gte\":3}},\"order\":[{\"field\":\"g\"},{\"field\":\"p\"}]",
    };
    static final String[] PARAMS = {
        "order=p",
        "where=" + TestGateway.enc("{\"g\":1}") + "&order=-p",
        "where=" + TestGateway.enc("{\"p\":{\"gte\":3}}") + "&order=g,p",
    };

    /** One WebSocket subscription as the model tracks it. */
    static final class WsSub {
        final String name;
        final int shape;
        String after;
        int limit;

        WsSub(String name, int shape, int limit) {
            this.name = name;
            this.shape = shape;
            this.limit = limit;
        }

        String params() {
            return PARAMS[shape] + "&limit=" + limit + (after == null ? "" : "&after=" + TestGateway.enc(after));
        }

        String subscribe(String resume) {
            return "{\"action\":\"subscribe\",\"sub\":\"" + name + "\",\"query\":" + SHAPES[shape] + ",\"limit\":" + limit
                    + (after == null ? "" : ",\"after\":\"" + after + "\"") + "}}";
        }
    }

    @Test
    void replicasConvergeToTheOneShotTruth() throws Exception {
        long seed = Long.getLong("wire.seed", System.nanoTime());
        Random rnd = new Random(seed);
        try (TestGateway gw = new TestGateway("livequery.limits.max-queued", "64")) {
            for (int i = 0; i < 30; i++) {
                gw.put("m", "m" + i, "g", i % 3, "p", i % 10);
            }
            AtomicInteger failures = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                long ws = rnd.nextLong();
                writers.add(Thread.ofVirtual().start(() -> write(gw, new Random(ws), failures)));
            }

            // WebSocket clients, two subscriptions each; SSE clients, one stream each.
            List<WsClient> wsClients = new ArrayList<>();
            List<List<WsSub>> wsSubs = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                WsClient client = WsClient.connect(gw.port);
                List<WsSub> subs = new ArrayList<>();
                for (int s = 0; s < 2; s++) {
                    WsSub sub = new WsSub("s" + s, rnd.nextInt(SHAPES.length), 1 + rnd.nextInt(12));
                    client.send(sub.subscribe(null));
                    subs.add(sub);
                }
                wsClients.add(client);
                wsSubs.add(subs);
            }
            List<SseClient> sse = new ArrayList<>();
            List<String> sseUrls = new ArrayList<>();
            for (int c = 0; c < 2; c++) {
                String url = "/v1/live/m?" + PARAMS[rnd.nextInt(PARAMS.length)] + "&limit=" + (1 + rnd.nextInt(12));
                sseUrls.add(url);
                sse.add(SseClient.open(gw.port, url, null, null));
            }

            for (int step = 0; step < 40; step++) {
                int c = rnd.nextInt(wsClients.size() + sse.size());
                if (c < wsClients.size()) {
                    WsClient client = wsClients.get(c);
                    WsSub sub = wsSubs.get(c).get(rnd.nextInt(2));
                    Replica r = client.replica(sub.name);
                    if (rnd.nextInt(4) == 0 && r.lastEid != null) {
                        // reconnect: resume every subscription from what it holds
                        client.close();
                        client.closed.handle((x, e) -> null).get(5, java.util.concurrent.TimeUnit.SECONDS);
                        WsClient again = WsClient.connect(gw.port);
                        for (WsSub s : wsSubs.get(c)) {
                            Replica held = client.replica(s.name).copy();
                            again.replicas.put(s.name, held);
                            String msg = s.subscribe(null);
                            if (held.lastEid != null) {
                                msg = msg.substring(0, msg.length() - 1) + ",\"resume\":\"" + held.lastEid + "\"}";
                            }
                            again.send(msg);
                        }
                        wsClients.set(c, again);
                        client = again;
                    } else {
                        List<String> cursors = r.frames().stream().filter(f -> f.hasNonNull("cursor"))
                                .map(f -> f.get("cursor").asText()).toList();
                        sub.limit = 1 + rnd.nextInt(12);
                        if (!cursors.isEmpty() && rnd.nextBoolean()) {
                            sub.after = cursors.get(rnd.nextInt(cursors.size()));
                            client.send("{\"action\":\"reanchor\",\"sub\":\"" + sub.name + "\",\"after\":\"" + sub.after
                                    + "\",\"limit\":" + sub.limit + "}");
                        } else {
                            sub.after = null;
                            client.send("{\"action\":\"reanchor\",\"sub\":\"" + sub.name + "\",\"after\":null,\"limit\":"
                                    + sub.limit + "}");
                        }
                    }
                } else {
                    int i = c - wsClients.size();
                    SseClient old = sse.get(i);
                    old.close();
                    Replica held = old.replica.copy();
                    sse.set(i, SseClient.open(gw.port, sseUrls.get(i), held.lastEid, held));
                }
                Thread.onSpinWait();
                Thread.yield();
            }
            for (Thread t : writers) {
                t.join(Duration.ofSeconds(60));
            }
            assertThat(failures.get()).as("seed %d: writer failures", seed).isZero();

            await("seed " + seed).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                for (int c = 0; c < wsClients.size(); c++) {
                    assertThat(wsClients.get(c).closed).as("seed %d ws %d", seed, c).isNotDone();
                    for (WsSub s : wsSubs.get(c)) {
                        List<JsonNode> truth = gw.truth("m", s.params());
                        assertThat(wsClients.get(c).replica(s.name).rows()).as("seed %d ws %d %s %s", seed, c, s.name,
                                s.params()).isEqualTo(truth);
                    }
                }
                for (int i = 0; i < sse.size(); i++) {
                    String params = sseUrls.get(i).substring("/v1/live/m?".length());
                    assertThat(sse.get(i).replica.rows()).as("seed %d sse %d", seed, i).isEqualTo(gw.truth("m", params));
                }
            });
            // resumes really happened without resets where the token was good
            long resumed = wsClients.stream().flatMap(c -> c.replicas.values().stream())
                    .flatMap(r -> r.frames().stream()).filter(f -> f.path("resumed").asBoolean()).count()
                    + sse.stream().flatMap(s -> s.replica.frames().stream()).filter(f -> f.path("resumed").asBoolean())
                    .count();
            assertThat(resumed).as("seed %d: some resumes", seed).isPositive();
            for (WsClient c : wsClients) {
                c.close();
            }
            for (SseClient s : sse) {
                s.close();
            }
        }
    }

    private static void write(TestGateway gw, Random rnd, AtomicInteger failures) {
        String[] json = {"Content-Type", "application/json"};
        for (int i = 0; i < 150; i++) {
            String id = "m" + rnd.nextInt(40);
            try {
                int op = rnd.nextInt(10);
                int status;
                if (op < 6) {
                    status = gw.http("PUT", "/v1/tables/m/rows/" + id, "{\"g\":" + rnd.nextInt(3) + ",\"p\":"
                            + rnd.nextInt(10) + "}", json).statusCode();
                } else if (op < 8) {
                    status = gw.http("PATCH", "/v1/tables/m/rows/" + id, "{\"p\":" + rnd.nextInt(10) + "}", json)
                            .statusCode();
                } else {
                    status = gw.http("DELETE", "/v1/tables/m/rows/" + id, null).statusCode();
                }
                if (status != 200 && status != 404) {
                    failures.incrementAndGet();
                }
            } catch (Exception e) {
                failures.incrementAndGet();
            }
        }
    }
}
