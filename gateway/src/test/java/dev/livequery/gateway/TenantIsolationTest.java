package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.core.Query;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.wire.WsClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Tenant isolation over the wire (PROTOCOL §9), randomised and seeded: tenants write, delete and
 * patch rows with colliding ids, subscribe with their own where/order/limit, reanchor, drop and
 * resume, and try each other's rows, cursors and resume tokens. No frame, query, GET or error ever
 * shows another tenant's data, and every window equals the truth filtered to the tenant (computed
 * from the unscoped backend with a plain where, not through the access filter under test).
 *
 * <p>Seed: {@code -Dlq.seed=…}; printed on failure.
 */
class TenantIsolationTest {
    static final int TENANTS = 3;
    static final int IDS = 24;

    record Sub(String name, int k, boolean desc, int limit) {
        String query() {
            return "{\"table\":\"items\",\"where\":{\"n\":{\"gte\":" + k + "}},\"order\":[{\"field\":\"n\",\"dir\":\""
                    + (desc ? "desc" : "asc") + "\"}],\"limit\":" + limit + "}";
        }
    }

    final class Tenant {
        final String name;
        final String token;
        final List<Sub> subs = new ArrayList<>();
        WsClient ws;

        Tenant(int i, Random rnd) {
            name = "tenant" + i + "x" + Integer.toHexString(rnd.nextInt(1 << 20));
            token = AuthGateway.token("user-" + name, Duration.ofMinutes(10), "tenant", name);
        }
    }

    @Test
    void noTenantEverSeesAnotherTenantsRows() throws Exception {
        try (AuthGateway gw = new AuthGateway()) {
            seeded(List.of(gw), 250);
        }
    }

    /** Runs the model with a printed seed ({@code -Dlq.seed} to repeat); clients and writes spread over {@code gws}. */
    void seeded(List<AuthGateway> gws, int steps) throws Exception {
        long seed = Long.getLong("lq.seed", System.nanoTime());
        try {
            run(seed, gws, steps);
        } catch (Throwable t) {
            throw new AssertionError("TenantIsolationTest failed with -Dlq.seed=" + seed + ": " + t.getMessage(), t);
        }
    }

    private void run(long seed, List<AuthGateway> gws, int steps) throws Exception {
        Random rnd = new Random(seed);
        AuthGateway truthGw = gws.get(0);
        {
            List<Tenant> tenants = new ArrayList<>();
            for (int i = 0; i < TENANTS; i++) {
                tenants.add(new Tenant(i, rnd));
            }
            for (Tenant t : tenants) {
                t.ws = gws.get(rnd.nextInt(gws.size())).ws(t.token);
                for (int s = 0; s < 2; s++) {
                    // the same shape in every tenant: isolation must not come from differing queries
                    Sub sub = new Sub("s" + s, s * 3, s == 1, 4 + rnd.nextInt(5));
                    t.subs.add(sub);
                    t.ws.send(subscribe(sub, null));
                }
            }
            for (int step = 0; step < steps; step++) {
                AuthGateway gw = gws.get(rnd.nextInt(gws.size()));
                Tenant t = tenants.get(rnd.nextInt(TENANTS));
                String id = "r" + rnd.nextInt(IDS);
                int op = rnd.nextInt(100);
                if (op < 45) {
                    HttpResponse<String> r =
                            gw.http("PUT", "/v1/tables/items/rows/" + id, row(id, t.name, rnd.nextInt(20)), t.token);
                    assertThat(r.statusCode()).as(r.body()).isIn(200, 404);
                    assertThat(r.statusCode() == 404)
                            .isEqualTo(ownerOf(truthGw, id) != null
                                    && !ownerOf(truthGw, id).equals(t.name));
                } else if (op < 55) {
                    HttpResponse<String> r = gw.http("DELETE", "/v1/tables/items/rows/" + id, null, t.token);
                    assertThat(r.statusCode()).as(r.body()).isIn(200, 404);
                } else if (op < 62) {
                    HttpResponse<String> r =
                            gw.http("PATCH", "/v1/tables/items/rows/" + id, "{\"n\":" + rnd.nextInt(20) + "}", t.token);
                    assertThat(r.statusCode()).as(r.body()).isIn(200, 404);
                } else if (op < 67) {
                    // writing a row into another tenant: refused, nothing changes
                    Tenant victim = tenants.get((tenants.indexOf(t) + 1) % TENANTS);
                    String before = String.valueOf(truthGw.backend
                            .query(Query.parse(truthQuery(victim.name, new Sub("x", 0, false, 50))))
                            .rows());
                    HttpResponse<String> r =
                            gw.http("PUT", "/v1/tables/items/rows/" + id, row(id, victim.name, 1), t.token);
                    assertThat(r.statusCode()).isIn(403, 404);
                    assertThat(String.valueOf(truthGw.backend
                                    .query(Query.parse(truthQuery(victim.name, new Sub("x", 0, false, 50))))
                                    .rows()))
                            .isEqualTo(before);
                    noLeak(tenants, t, r.body());
                } else if (op < 77) {
                    HttpResponse<String> r = gw.http("GET", "/v1/tables/items/rows/" + id, null, t.token);
                    noLeak(tenants, t, r.body());
                    String owner = ownerOf(truthGw, id);
                    assertThat(r.statusCode()).isEqualTo(t.name.equals(owner) ? 200 : 404);
                } else if (op < 84) {
                    HttpResponse<String> r = gw.http("GET", "/v1/tables/items/query?limit=50", null, t.token);
                    noLeak(tenants, t, r.body());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    JsonNode rows = Json.MAPPER.readTree(r.body()).get("rows");
                    assertThat(rows).allMatch(x -> x.get("tenant").asText().equals(t.name));
                } else if (op < 90) {
                    Sub old = t.subs.get(rnd.nextInt(t.subs.size()));
                    int limit = 2 + rnd.nextInt(8);
                    t.subs.set(t.subs.indexOf(old), new Sub(old.name, old.k, old.desc, limit));
                    t.ws.send("{\"action\":\"reanchor\",\"sub\":\"" + old.name + "\",\"limit\":" + limit + "}");
                } else if (op < 94) {
                    reconnect(gw, t);
                } else {
                    crossTenantTokens(gw, tenants, t, rnd);
                }
                if (step % 50 == 49) {
                    settle(truthGw, tenants);
                }
            }
            settle(truthGw, tenants);
            for (Tenant t : tenants) {
                for (JsonNode f : t.ws.log) {
                    noLeak(tenants, t, f.toString());
                }
                t.ws.close();
            }
        }
    }

    static String subscribe(Sub s, String resume) {
        return "{\"action\":\"subscribe\",\"sub\":\"" + s.name + "\",\"query\":" + s.query()
                + (resume == null ? "" : ",\"resume\":\"" + resume + "\"") + "}";
    }

    static String row(String id, String tenant, int n) {
        return "{\"id\":\"" + id + "\",\"tenant\":\"" + tenant + "\",\"n\":" + n + ",\"note\":\"of " + tenant + "\"}";
    }

    /** The tenant of row {@code id} now, from the backend without any filter. */
    static String ownerOf(AuthGateway gw, String id) {
        try {
            return gw.backend.get("items", id).data().get("tenant").asText();
        } catch (dev.livequery.core.LiveQueryException e) {
            return null;
        }
    }

    /** The truth a window must equal: the user's query with the tenant as a plain where term. */
    static ObjectNode truthQuery(String tenant, Sub s) throws Exception {
        ObjectNode q = (ObjectNode) Json.MAPPER.readTree(s.query());
        ((ObjectNode) q.get("where")).put("tenant", tenant);
        return q;
    }

    static void noLeak(List<Tenant> tenants, Tenant me, String text) {
        for (Tenant other : tenants) {
            if (other != me) {
                assertThat(text).as("%s sees data of %s", me.name, other.name).doesNotContain(other.name);
            }
        }
    }

    /** Drops the connection and resumes every subscription by its last eid with a new one. */
    void reconnect(AuthGateway gw, Tenant t) throws Exception {
        Map<String, Replica> held = new HashMap<>();
        for (Sub s : t.subs) {
            Replica r = t.ws.replica(s.name);
            await().atMost(Duration.ofSeconds(5)).until(() -> r.readies() > 0);
            held.put(s.name, r.copy());
        }
        List<JsonNode> log = List.copyOf(t.ws.log);
        t.ws.close();
        t.ws = gw.ws(t.token);
        t.ws.log.addAll(log);
        for (Sub s : t.subs) {
            Replica r = held.get(s.name);
            t.ws.replicas.put(s.name, r);
            t.ws.send(subscribe(s, r.lastEid()));
        }
    }

    /** Another tenant's cursor is bad_query and its resume token a reset resume_miss; nothing of theirs shows. */
    void crossTenantTokens(AuthGateway gw, List<Tenant> tenants, Tenant me, Random rnd) throws Exception {
        Tenant other = tenants.get((tenants.indexOf(me) + 1 + rnd.nextInt(TENANTS - 1)) % TENANTS);
        Sub s = other.subs.get(0);
        String cursor = other.ws.log.stream()
                .filter(f -> f.hasNonNull("cursor"))
                .map(f -> f.get("cursor").asText())
                .reduce((a, b) -> b)
                .orElse(null);
        String eid = other.ws.replica(s.name).lastEid();
        if (cursor != null) {
            HttpResponse<String> r = gw.http(
                    "GET",
                    "/v1/tables/items/query?where=" + TestGateway.enc("{\"n\":{\"gte\":0}}") + "&order=n&limit=5&after="
                            + TestGateway.enc(cursor),
                    null,
                    me.token);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            noLeak(tenants, me, r.body());
        }
        if (eid != null) {
            try (WsClient c = gw.ws(me.token)) {
                c.send(subscribe(new Sub("probe", s.k, s.desc, s.limit), eid));
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("probe").readies() == 1);
                assertThat(c.replica("probe").resetCauses()).containsExactly("resume_miss");
                assertThat(c.replica("probe").rows())
                        .allMatch(x -> x.get("tenant").asText().equals(me.name));
                for (JsonNode f : c.log) {
                    noLeak(tenants, me, f.toString());
                }
            }
        }
    }

    /** Every window equals the tenant's truth; no replica ever saw a splice that did not apply. */
    static void settle(AuthGateway gw, List<Tenant> tenants) {
        for (Tenant t : tenants) {
            for (Sub s : t.subs) {
                Replica r = t.ws.replica(s.name);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    List<JsonNode> truth = new ArrayList<>();
                    gw.backend.query(Query.parse(truthQuery(t.name, s))).rows().forEach(x -> truth.add(x.data()));
                    assertThat(r.rows()).as("%s/%s", t.name, s.name).isEqualTo(truth);
                });
                assertThat(r.violations()).isEmpty();
                assertThat(r.rows()).allMatch(x -> x.get("tenant").asText().equals(t.name));
            }
        }
    }
}
