package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.wire.SseClient;
import dev.livequery.testkit.wire.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The randomized wire-level model, over one gateway or several that serve the same data:
 * concurrent HTTP writers, WebSocket and SSE clients that subscribe, reanchor and reconnect
 * (resuming with their last eid, on any of the gateways) at random. After the writers stop, every
 * client's replica, built only from frames, must equal the one-shot query for its window; no frame
 * may fail to apply; the only resets are the first snapshot and overflow (a good token never gets
 * one); and some reconnects really resumed.
 *
 * <p>Used by {@link WireModelTest} (one embedded gateway) and {@link ClusterWireModelTest} (two
 * gateways over shards and Redis). The seed is printed on failure; {@code -Dwire.seed=N} replays the
 * client's choices (the interleaving with the server still varies).
 */
final class WireModel {
    static final String TABLE = "m";
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
    /** Reset causes a run may see: the first snapshot, and a client that fell behind (max-queued is small). */
    static final List<String> EXPECTED_RESETS = List.of("subscribe", "overflow");

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
            return "{\"action\":\"subscribe\",\"sub\":\"" + name + "\",\"query\":" + SHAPES[shape] + ",\"limit\":"
                    + limit
                    + (after == null ? "" : ",\"after\":\"" + after + "\"") + "}"
                    + (resume == null ? "" : ",\"resume\":\"" + resume + "\"") + "}";
        }
    }

    private final List<Integer> ports;
    private final long seed;
    private final Duration settle;

    /**
     * @param ports the gateways' ports: clients connect to and writes go through all of them
     * @param settle how long the replicas may take to converge once the writers are done
     */
    WireModel(List<Integer> ports, long seed, Duration settle) {
        this.ports = List.copyOf(ports);
        this.seed = seed;
        this.settle = settle;
    }

    static long seed() {
        return Long.getLong("wire.seed", System.nanoTime());
    }

    void run() throws Exception {
        Random rnd = new Random(seed);
        String[] json = {"Content-Type", "application/json"};
        for (int i = 0; i < 30; i++) {
            int status = TestGateway.http(
                            port(i),
                            "PUT",
                            "/v1/tables/m/rows/m" + i,
                            "{\"g\":" + (i % 3) + ",\"p\":" + (i % 10) + "}",
                            json)
                    .statusCode();
            assertThat(status).as("seed %d: seeding row m%d", seed, i).isEqualTo(200);
        }
        AtomicInteger failures = new AtomicInteger();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            long ws = rnd.nextLong();
            writers.add(Thread.ofVirtual().start(() -> write(new Random(ws), failures)));
        }

        // WebSocket clients, two subscriptions each; SSE clients, one stream each; spread over the gateways.
        List<WsClient> wsClients = new ArrayList<>();
        List<List<WsSub>> wsSubs = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            WsClient client = WsClient.connect(port(c));
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
            sse.add(SseClient.open(port(c + 1), url, null, null));
        }

        for (int step = 0; step < 40; step++) {
            int c = rnd.nextInt(wsClients.size() + sse.size());
            if (c < wsClients.size()) {
                WsClient client = wsClients.get(c);
                WsSub sub = wsSubs.get(c).get(rnd.nextInt(2));
                Replica r = client.replica(sub.name);
                if (rnd.nextInt(4) == 0 && r.lastEid() != null) {
                    // reconnect, to any gateway: resume every subscription from what it holds
                    client.close();
                    client.closed.handle((x, e) -> null).get(5, TimeUnit.SECONDS);
                    WsClient again = WsClient.connect(port(rnd.nextInt(ports.size())));
                    for (WsSub s : wsSubs.get(c)) {
                        Replica held = client.replica(s.name).copy();
                        again.replicas.put(s.name, held);
                        again.send(s.subscribe(held.lastEid()));
                    }
                    wsClients.set(c, again);
                } else {
                    List<String> cursors = r.frames().stream()
                            .filter(f -> f.hasNonNull("cursor"))
                            .map(f -> f.get("cursor").asText())
                            .toList();
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
                sse.set(i, SseClient.open(port(rnd.nextInt(ports.size())), sseUrls.get(i), held.lastEid(), held));
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        for (Thread t : writers) {
            assertThat(t.join(Duration.ofSeconds(60)))
                    .as("seed %d: writer finished", seed)
                    .isTrue();
        }
        assertThat(failures.get()).as("seed %d: writer failures", seed).isZero();

        await("seed " + seed)
                .atMost(settle)
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    for (int c = 0; c < wsClients.size(); c++) {
                        assertThat(wsClients.get(c).closed)
                                .as("seed %d ws %d", seed, c)
                                .isNotDone();
                        for (WsSub s : wsSubs.get(c)) {
                            Replica r = wsClients.get(c).replica(s.name);
                            assertThat(r.violations())
                                    .as("seed %d ws %d %s: frames that did not apply", seed, c, s.name)
                                    .isEmpty();
                            List<JsonNode> truth = TestGateway.truth(port(c), TABLE, s.params());
                            assertThat(r.rows())
                                    .as("seed %d ws %d %s %s", seed, c, s.name, s.params())
                                    .isEqualTo(truth);
                        }
                    }
                    for (int i = 0; i < sse.size(); i++) {
                        Replica r = sse.get(i).replica;
                        assertThat(r.violations())
                                .as("seed %d sse %d: frames that did not apply", seed, i)
                                .isEmpty();
                        String params = sseUrls.get(i).substring("/v1/live/m?".length());
                        assertThat(r.rows())
                                .as("seed %d sse %d", seed, i)
                                .isEqualTo(TestGateway.truth(port(i), TABLE, params));
                    }
                });
        List<Replica> all = new ArrayList<>();
        wsClients.forEach(c -> all.addAll(c.replicas.values()));
        sse.forEach(s -> all.add(s.replica));
        for (Replica r : all) {
            assertThat(r.resetCauses()).as("seed %d: reset causes", seed).isSubsetOf(EXPECTED_RESETS);
        }
        // resumes really happened without resets where the token was good
        int resumed = all.stream().mapToInt(Replica::resumedReadies).sum();
        System.out.printf(
                "wire model, %d gateway(s), seed %d: resets %s, resumed readies %d%n",
                ports.size(),
                seed,
                all.stream().flatMap(r -> r.resetCauses().stream()).toList(),
                resumed);
        assertThat(resumed).as("seed %d: some resumes", seed).isPositive();
        for (WsClient c : wsClients) {
            c.close();
        }
        for (SseClient s : sse) {
            s.close();
        }
    }

    private int port(int i) {
        return ports.get(i % ports.size());
    }

    private void write(Random rnd, AtomicInteger failures) {
        String[] json = {"Content-Type", "application/json"};
        for (int i = 0; i < 150; i++) {
            String id = "m" + rnd.nextInt(40);
            int port = port(rnd.nextInt(ports.size()));
            try {
                int op = rnd.nextInt(10);
                int status;
                if (op < 6) {
                    status = TestGateway.http(
                                    port,
                                    "PUT",
                                    "/v1/tables/m/rows/" + id,
                                    "{\"g\":" + rnd.nextInt(3) + ",\"p\":" + rnd.nextInt(10) + "}",
                                    json)
                            .statusCode();
                } else if (op < 8) {
                    status = TestGateway.http(
                                    port, "PATCH", "/v1/tables/m/rows/" + id, "{\"p\":" + rnd.nextInt(10) + "}", json)
                            .statusCode();
                } else {
                    status = TestGateway.http(port, "DELETE", "/v1/tables/m/rows/" + id, null)
                            .statusCode();
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
