package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.wire.RawWs;
import dev.livequery.testkit.wire.WsClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WebSocketTest {
    static TestGateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new TestGateway(
                "livequery.limits.subs-per-connection", "4", "livequery.tables.allow", "items,a,b,c,grow,unsub,errs");
        for (int i = 0; i < 30; i++) {
            gw.put("items", "r%02d".formatted(i), "price", i, "group", i % 3);
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String sub(String sub, String queryJson) {
        return "{\"action\":\"subscribe\",\"sub\":\"" + sub + "\",\"query\":" + queryJson + "}";
    }

    @Test
    void snapshotThenLiveChanges() throws Exception {
        try (WsClient c = WsClient.connect(gw.port)) {
            c.send(sub("s", "{\"table\":\"items\",\"order\":[{\"field\":\"price\",\"dir\":\"desc\"}],\"limit\":5}"));
            Replica r = c.replica("s");
            await().atMost(Duration.ofSeconds(5)).until(() -> r.readies() == 1);
            List<JsonNode> f = r.frames();
            assertThat(f.get(0).get("op").asText()).isEqualTo("reset");
            assertThat(f.get(0).get("cause").asText()).isEqualTo("subscribe");
            assertThat(r.ids()).containsExactly("r29", "r28", "r27", "r26", "r25");
            assertThat(f).allMatch(x -> x.hasNonNull("eid"));

            gw.put("items", "r03", "price", 100, "group", 0);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> r.ids().equals(List.of("r03", "r29", "r28", "r27", "r26")));
            assertThat(r.rows()).isEqualTo(gw.truth("items", "order=-price&limit=5"));
            gw.put("items", "r03", "price", 3, "group", 0);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> r.ids().equals(List.of("r29", "r28", "r27", "r26", "r25")));
        }
    }

    @Test
    void threeSubscriptionsOnOneSocket() throws Exception {
        try (WsClient c = WsClient.connect(gw.port)) {
            c.send(sub(
                    "a",
                    "{\"table\":\"items\",\"where\":{\"group\":0},\"order\":[{\"field\":\"price\"}],\"limit\":3}"));
            c.send(sub(
                    "b",
                    "{\"table\":\"items\",\"where\":{\"group\":1},\"order\":[{\"field\":\"price\"}],\"limit\":3}"));
            c.send(sub("c", "{\"table\":\"items\",\"order\":[{\"field\":\"price\",\"dir\":\"desc\"}],\"limit\":2}"));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> c.replica("a").readies() == 1
                            && c.replica("b").readies() == 1
                            && c.replica("c").readies() == 1);
            assertThat(c.replica("a").ids()).containsExactly("r00", "r03", "r06");
            assertThat(c.replica("b").ids()).containsExactly("r01", "r04", "r07");
            assertThat(c.replica("c").ids()).containsExactly("r29", "r28");
            gw.put("items", "x1", "price", -1, "group", 1);
            try {
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> c.replica("b").ids().equals(List.of("x1", "r01", "r04")));
                assertThat(c.replica("a").ids()).containsExactly("r00", "r03", "r06");
                assertThat(c.replica("c").frames())
                        .noneMatch(f -> "x1".equals(f.path("id").asText(null)));
            } finally {
                gw.backend.delete("items", "x1", null);
            }
        }
    }

    @Test
    void reanchorSendsOnlyTheSplice() throws Exception {
        for (int i = 0; i < 100; i++) {
            gw.put("grow", "g%03d".formatted(i), "n", i);
        }
        try (WsClient c = WsClient.connect(gw.port)) {
            c.send(sub("s", "{\"table\":\"grow\",\"order\":[{\"field\":\"n\"}],\"limit\":50}"));
            Replica r = c.replica("s");
            await().atMost(Duration.ofSeconds(5)).until(() -> r.readies() == 1);
            int before = r.frames().size();
            c.send("{\"action\":\"reanchor\",\"sub\":\"s\",\"limit\":100}");
            await().atMost(Duration.ofSeconds(5)).until(() -> r.readies() == 2);
            List<JsonNode> splice = r.frames().subList(before, r.frames().size());
            assertThat(splice).hasSize(51);
            assertThat(splice.subList(0, 50)).allMatch(f -> f.get("op").asText().equals("enter"));
            assertThat(r.rows()).isEqualTo(gw.truth("grow", "order=n&limit=100"));

            // slide: start after the 20th row, keep the limit
            String cursor = gw.truth("grow", "order=n&limit=100").size() == 100
                    ? cursorAt("grow", "order=n&limit=100", 19)
                    : null;
            int mark = r.frames().size();
            c.send("{\"action\":\"reanchor\",\"sub\":\"s\",\"after\":\"" + cursor + "\",\"limit\":50}");
            await().atMost(Duration.ofSeconds(5)).until(() -> r.readies() == 3);
            assertThat(r.frames().subList(mark, r.frames().size()))
                    .noneMatch(f -> f.get("op").asText().equals("reset"));
            assertThat(r.rows()).isEqualTo(gw.truth("grow", "order=n&limit=50&after=" + TestGateway.enc(cursor)));
            assertThat(r.ids().get(0)).isEqualTo("g020");

            // "after": null with no before = from the top
            c.send("{\"action\":\"reanchor\",\"sub\":\"s\",\"after\":null}");
            await().atMost(Duration.ofSeconds(5)).until(() -> r.readies() == 4);
            assertThat(r.rows()).isEqualTo(gw.truth("grow", "order=n&limit=50"));
        }
    }

    static String cursorAt(String table, String params, int i) throws Exception {
        var res = gw.http("GET", "/v1/tables/" + table + "/query?" + params, null);
        return dev.livequery.core.Json.MAPPER
                .readTree(res.body())
                .get("cursors")
                .get(i)
                .asText();
    }

    @Test
    void unsubscribe() throws Exception {
        try (WsClient c = WsClient.connect(gw.port)) {
            c.send(sub("u", "{\"table\":\"unsub\",\"limit\":5}"));
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("u").readies() == 1);
            c.send("{\"action\":\"unsubscribe\",\"sub\":\"u\"}");
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("u").has("closed", "unsubscribed"));
            int n = c.replica("u").frames().size();
            gw.put("unsub", "k1", "v", 1);
            c.send("{\"action\":\"ping\"}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !c.frames("pong", null).isEmpty());
            assertThat(c.replica("u").frames()).hasSize(n);
            // the name is free again
            c.send(sub("u", "{\"table\":\"unsub\",\"limit\":5}"));
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("u").readies() == 2);
            assertThat(c.replica("u").ids()).containsExactly("k1");
        }
    }

    @Test
    void everyCommandErrorKeepsTheSocketUsable() throws Exception {
        try (WsClient c = WsClient.connect(gw.port)) {
            c.send(sub("ok", "{\"table\":\"errs\",\"limit\":5}"));
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("ok").readies() == 1);
            String big = "{\"action\":\"ping\",\"pad\":\"" + "x".repeat(70_000) + "\"}";
            String[][] cases = {
                {"{not json", "bad_request"},
                {"[1,2]", "bad_request"},
                {"{\"action\":\"dance\"}", "bad_request"},
                {"{\"sub\":\"x\"}", "bad_request"},
                {"{\"action\":\"subscribe\",\"sub\":\"q\"}", "bad_request"},
                {"{\"action\":\"subscribe\",\"query\":{\"table\":\"errs\",\"limit\":1}}", "bad_request"},
                {sub("q", "{\"table\":\"errs\",\"limit\":0}"), "bad_query"},
                {sub("q", "{\"table\":\"errs\",\"where\":{\"a\":{\"near\":1}},\"limit\":1}"), "bad_query"},
                {sub("q", "{\"table\":\"nope\",\"limit\":1}"), "unknown_table"},
                {sub("ok", "{\"table\":\"errs\",\"limit\":1}"), "duplicate_sub"},
                {"{\"action\":\"reanchor\",\"sub\":\"ghost\",\"limit\":3}", "unknown_sub"},
                {"{\"action\":\"unsubscribe\",\"sub\":\"ghost\"}", "unknown_sub"},
                {"{\"action\":\"reanchor\",\"sub\":\"ok\",\"after\":\"garbage\"}", "bad_query"},
                // a member asking for what the command does not do is an error, not ignored (§2: never
                // a silent default): a reanchor cannot change the shape (§4), a subscribe's window is in
                // its query
                {
                    "{\"action\":\"reanchor\",\"sub\":\"ok\",\"order\":[{\"field\":\"a\",\"dir\":\"desc\"}]}",
                    "bad_request"
                },
                {"{\"action\":\"reanchor\",\"sub\":\"ok\",\"query\":{\"limit\":3}}", "bad_request"},
                {sub("q2", "{\"table\":\"errs\",\"limit\":1}").replace("}}", "},\"limit\":5}"), "bad_request"},
                {big, "too_large"},
                // "sub" is 1–64 characters, not UTF-16 units: 64 emoji is a valid (unknown) sub, 65 is not
                {"{\"action\":\"unsubscribe\",\"sub\":\"" + "\uD83D\uDE00".repeat(64) + "\"}", "unknown_sub"},
                {"{\"action\":\"unsubscribe\",\"sub\":\"" + "\uD83D\uDE00".repeat(65) + "\"}", "bad_request"},
            };
            for (String[] tc : cases) {
                int errors = c.frames("error", null).size();
                c.send(tc[0]);
                await(tc[0].length() > 200 ? "big" : tc[0])
                        .atMost(Duration.ofSeconds(5))
                        .until(() -> c.frames("error", null).size() == errors + 1);
                JsonNode e = c.frames("error", null).get(errors);
                assertThat(e.get("code").asText())
                        .as(tc[0].length() > 200 ? "big" : tc[0])
                        .isEqualTo(tc[1]);
                assertThat(e.get("message").asText()).isNotBlank();
            }
            assertThat(c.frames("error", null).get(9).get("sub").asText()).isEqualTo("ok");
            // a member no command knows (a client's own correlation id) is ignored: m1 subscribes
            c.send(sub("m1", "{\"table\":\"errs\",\"limit\":1}").replace("}}", "},\"ref\":7}"));
            for (int i = 2; i <= 4; i++) {
                c.send(sub("m" + i, "{\"table\":\"errs\",\"limit\":1}"));
            }
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> c.frames("error", null).size() == cases.length + 1);
            assertThat(c.frames("error", null).get(cases.length).get("code").asText())
                    .isEqualTo("too_many_subs");
            assertThat(c.frames("error", null).get(cases.length).get("sub").asText())
                    .isEqualTo("m4");

            // still usable: the original subscription still gets changes, ping still answered
            gw.put("errs", "e1", "v", 1);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> c.replica("ok").ids().equals(List.of("e1")));
            c.send("{\"action\":\"ping\"}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !c.frames("pong", null).isEmpty());
            assertThat(c.closed).isNotDone();
        }
    }

    @Test
    void maxMessageCountsBytesNotCharacters() throws Exception {
        try (TestGateway small = new TestGateway("livequery.limits.max-message", "1000");
                WsClient c = WsClient.connect(small.port)) {
            // 600 characters of 2 bytes each: 1,200 bytes on the wire, over the limit
            c.send("{\"action\":\"ping\",\"pad\":\"" + "\u00e9".repeat(600) + "\"}");
            // 900 ASCII bytes: under it
            c.send("{\"action\":\"ping\",\"pad\":\"" + "e".repeat(900) + "\"}");
            await().atMost(Duration.ofSeconds(5)).until(() -> c.log.size() == 2);
            assertThat(c.log.get(0).get("op").asText()).isEqualTo("error");
            assertThat(c.log.get(0).get("code").asText()).isEqualTo("too_large");
            assertThat(c.log.get(1).get("op").asText()).isEqualTo("pong");
        }
    }

    @Test
    void badOriginIsClosedWith1008GoodOnesAccepted() throws Exception {
        try (RawWs evil = new RawWs(gw.port, "http://evil.example", 0)) {
            assertThat(evil.status()).isEqualTo(101);
            evil.sendText("{\"action\":\"ping\"}"); // never read: no pong may come back
            RawWs.Frame first = evil.read();
            assertThat(first).as("a close frame, not a dropped socket").isNotNull();
            assertThat(first.opcode()).isEqualTo(8);
            assertThat(first.closeCode()).isEqualTo(1008); // PROTOCOL §4: 1008 policy (origin, auth)
            assertThat(first.closeReason()).isEqualTo("origin not allowed");
        }
        try (RawWs same = new RawWs(gw.port, "http://127.0.0.1:" + gw.port, 0)) {
            assertThat(same.status()).isEqualTo(101);
        }
        try (WsClient ok = WsClient.connect(gw.port, "http://localhost:1234")) {
            ok.send("{\"action\":\"ping\"}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !ok.frames("pong", null).isEmpty());
        }
        try (WsClient evil = WsClient.connect(gw.port, "http://evil.example")) {
            assertThat(evil.closed.get(5, java.util.concurrent.TimeUnit.SECONDS))
                    .isEqualTo(1008);
            assertThat(evil.log).isEmpty();
        }
    }
}
