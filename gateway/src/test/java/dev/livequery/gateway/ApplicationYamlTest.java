package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.testkit.Replica;
import dev.livequery.testkit.wire.RawWs;
import dev.livequery.testkit.wire.WsClient;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code application.yaml} lists every key (README), {@link Settings} reads every key it lists, and
 * every key changes what the gateway does: each names the test that shows its effect.
 */
class ApplicationYamlTest {
    /** Keys with no default, so the file names them in a comment only. */
    static final Set<String> COMMENTED = Set.of(
            "livequery.demo.enabled",
            "livequery.tables.allow",
            "livequery.allowed-origins",
            "livequery.secret",
            "livequery.gateway.id",
            "livequery.previous-secret");

    /** For each key: a value other than its default, and the test that shows that value's effect. */
    static final Map<String, String[]> BEHAVIOUR = new LinkedHashMap<>();

    static {
        b("server.port", "1234", "ApplicationYamlTest#serverPortIsWhereItListens");
        b("livequery.backend", "redis", "ClusterWireModelTest#twoGatewaysThreeShardsOneRedis");
        b("livequery.redis.uri", "redis://10.0.0.1:1", "GatewayKillTest#clientsResumeOnTheOtherGatewayAfterSigkill");
        b("livequery.demo.enabled", "false", "DemoTest#pageIsServedAndTheSimulatorChangesTheTable");
        b("livequery.demo.changes-per-second", "50", "DemoTest#demoKeysSizeAndPaceTheSimulator");
        b("livequery.demo.rows", "300", "DemoTest#demoKeysSizeAndPaceTheSimulator");
        b("livequery.write-deadline", "PT1S", "CloseFrameTest#slowReaderGets4008");
        b("livequery.shutdown-grace", "PT3S", "LifecycleTest#gracefulShutdownSaysClosedShutdownAndCloses1001");
        b(
                "livequery.header-timeout",
                "PT1S",
                "LingeringSocketTest#headersThatTrickleInLoseTheirSocketAtTheHeaderTimeout");
        b("livequery.body-timeout", "PT1S", "LingeringSocketTest#aBodyThatTricklesInLosesItsSocketAtTheBodyTimeout");
        b("livequery.limits.max-window", "100", "QueryCostTest#maxWindowBoundsEveryLimit");
        b("livequery.limits.max-queued", "4", "LifecycleTest#overflowResetsThenConverges");
        b("livequery.limits.subs-per-connection", "4", "WebSocketTest#everyCommandErrorKeepsTheSocketUsable");
        b("livequery.limits.max-message", "1000", "WebSocketTest#maxMessageCountsBytesNotCharacters");
        b("livequery.limits.max-body", "2000", "HttpApiTest#everyErrorStatus");
        b("livequery.limits.max-connections", "1", "LifecycleTest#tooManyConnectionsIs4029");
        b("livequery.limits.max-response", "1000", "HttpApiTest#oneShotAnswerStopsAtMaxResponse");
        b("livequery.limits.max-views", "2", "QueryCostTest#distinctShapesPerTableAreCapped");
        b("livequery.limits.max-view-rows", "10", "QueryCostTest#viewRowsAreCappedGatewayWide");
        b("livequery.ws.ping-interval", "PT0.5S", "ApplicationYamlTest#pingIntervalIsHowOftenTheServerPings");
        b("livequery.ws.idle-timeout", "PT1S", "ClosingConnectionTest#commandsAfterAnIdleCloseCreateNothing");
        b("livequery.sse.heartbeat", "PT0.3S", "SseTest#snapshotRetryHeartbeatAndLiveChange");
        b("livequery.resume.max-changes", "5", "ApplicationYamlTest#resumeMaxChangesCapsTheHorizon");
        b("livequery.resume.horizon-changes", "5", "ApplicationYamlTest#resumeHorizonKeysSetTheHorizon");
        b("livequery.resume.horizon-time", "PT1M", "ApplicationYamlTest#resumeHorizonKeysSetTheHorizon");
        b("livequery.tables.allow", "t,other", "HttpApiTest#everyErrorStatus");
        b("livequery.allowed-origins", "https://app.example", "OriginPolicyTest#explicitListIsExact");
        b("livequery.secret", "another-secret-of-enough-bytes", "ApplicationYamlTest#secretSignsCursors");
        b("livequery.gateway.id", "gw-fixed", "GatewayIdTest#aConfiguredIdNamesTheGatewaysKeysInRedis");
        b("livequery.limits.max-row", "100", "ApplicationYamlTest#maxRowRefusesLargerRows");
        b("livequery.limits.max-history-bytes", "4194304", "ApplicationYamlTest#maxHistoryBytesCapsTheHorizon");
        b(
                "livequery.previous-secret",
                "one-secret-of-enough-bytes",
                "ApplicationYamlTest#previousSecretIsAcceptedForItsOverlap");
        b("livequery.previous-secret-overlap", "PT0S", "ApplicationYamlTest#previousSecretIsAcceptedForItsOverlap");
    }

    private static void b(String key, String value, String test) {
        BEHAVIOUR.put(key, new String[] {value, test});
    }

    @Test
    void theFileAndSettingsNameTheSameKeys() throws Exception {
        Config yaml = yaml();
        Set<String> inFile = yaml.traverse()
                .filter(Config::isLeaf)
                .map(c -> c.key().toString())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> read =
                SettingsKeys.KEYS.stream().map(SettingsKeys.Key::name).collect(Collectors.toCollection(TreeSet::new));
        Set<String> expected = new TreeSet<>(read);
        expected.removeAll(COMMENTED);
        expected.addAll(SettingsKeys.HELIDON_KEYS);
        assertThat(inFile).isEqualTo(expected);
        String text = text();
        for (String k : COMMENTED) {
            assertThat(text).as("application.yaml mentions %s", k).contains(k.substring(k.lastIndexOf('.') + 1));
        }
    }

    /**
     * PROTOCOL §8: every key can be set by its environment spelling ({@code SERVER_PORT},
     * {@code LIVEQUERY_BACKEND}, {@code LIVEQUERY_LIMITS_MAX_WINDOW}, …), with the same effect as the
     * key itself, and over the file.
     */
    @Test
    void everyKeyIsReadFromItsEnvironmentSpelling() throws Exception {
        assertThat(ConfigLookup.envName("server.port")).isEqualTo("SERVER_PORT");
        assertThat(ConfigLookup.envName("livequery.backend")).isEqualTo("LIVEQUERY_BACKEND");
        assertThat(ConfigLookup.envName("livequery.redis.uri")).isEqualTo("LIVEQUERY_REDIS_URI");
        assertThat(ConfigLookup.envName("livequery.limits.max-window")).isEqualTo("LIVEQUERY_LIMITS_MAX_WINDOW");
        Config yaml = yaml();
        Map<String, Object> base = describe(SettingsKeys.read(new ConfigLookup(yaml, Map.of())));
        for (Map.Entry<String, String[]> e : BEHAVIOUR.entrySet()) {
            Map<String, String> m = new HashMap<>();
            m.put(e.getKey(), e.getValue()[0]);
            if (e.getKey().equals("livequery.backend")) {
                m.put("livequery.limits.max-queued", "1002"); // the cluster check
            }
            Map<String, String> env = new HashMap<>();
            m.forEach((k, v) -> env.put(ConfigLookup.envName(k), v));
            Config c = Config.just(
                    ConfigSources.create(m),
                    ConfigSources.classpath("application.yaml").build());
            Map<String, Object> fromEnv = describe(SettingsKeys.read(new ConfigLookup(yaml, env)));
            assertThat(fromEnv).as(e.getKey()).isNotEqualTo(base).isEqualTo(describe(Settings.from(c)));
        }
    }

    @Test
    void everyKeyIsReadAndNamesTheTestOfItsEffect() throws Exception {
        Set<String> keys =
                SettingsKeys.KEYS.stream().map(SettingsKeys.Key::name).collect(Collectors.toSet());
        assertThat(BEHAVIOUR.keySet()).containsExactlyInAnyOrderElementsOf(keys);
        Map<String, Object> base = describe(Settings.from(yaml()));
        for (Map.Entry<String, String[]> e : BEHAVIOUR.entrySet()) {
            Map<String, String> m = new HashMap<>();
            m.put(e.getKey(), e.getValue()[0]);
            if (e.getKey().equals("livequery.backend")) {
                m.put("livequery.limits.max-queued", "1002"); // the cluster check
            }
            Config c = Config.just(
                    ConfigSources.create(m),
                    ConfigSources.classpath("application.yaml").build());
            assertThat(describe(Settings.from(c))).as(e.getKey()).isNotEqualTo(base);
            String[] test = e.getValue()[1].split("#");
            Class<?> cls = Class.forName(
                    test[0].equals("OriginPolicyTest")
                            ? "dev.livequery.gateway.ws." + test[0]
                            : "dev.livequery.gateway." + test[0]);
            assertThat(cls.getDeclaredMethod(test[1])).as(e.getValue()[1]).isNotNull();
        }
    }

    @Test
    void maxRowRefusesLargerRows() throws Exception {
        String body = "{\"pad\":\"" + "x".repeat(200) + "\"}";
        try (TestGateway small = new TestGateway("livequery.limits.max-row", "100");
                TestGateway dflt = new TestGateway()) {
            String[] json = {"Content-Type", "application/json"};
            HttpApiTest.error(small.http("PUT", "/v1/tables/r/rows/a", body, json), 413, "too_large");
            assertThat(dflt.http("PUT", "/v1/tables/r/rows/a", body, json).statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void maxHistoryBytesCapsTheHorizon() throws Exception {
        for (String cap : List.of("4096", String.valueOf(256L << 20))) {
            try (TestGateway gw =
                    new TestGateway("livequery.limits.max-row", "512", "livequery.limits.max-history-bytes", cap)) {
                // 60 changes of ~330 bytes: ~20 KB of images after the eid
                assertResumes(
                        gw,
                        60,
                        i -> new Object[] {"pad", "y".repeat(300)},
                        !cap.equals("4096"),
                        "max-history-bytes " + cap);
            }
        }
    }

    @Test
    void previousSecretIsAcceptedForItsOverlap() throws Exception {
        String cursor;
        try (TestGateway a = new TestGateway("livequery.secret", "one-secret-of-enough-bytes")) {
            cursor = firstCursor(a);
        }
        String after = "/v1/tables/c/query?order=n&limit=1&after=" + TestGateway.enc(cursor);
        try (TestGateway b = new TestGateway(
                "livequery.secret",
                "another-secret-of-enough-bytes",
                "livequery.previous-secret",
                "one-secret-of-enough-bytes")) {
            b.put("c", "r1", "n", 1);
            assertThat(b.http("GET", after, null).statusCode()).isEqualTo(200);
        }
        try (TestGateway b = new TestGateway(
                "livequery.secret",
                "another-secret-of-enough-bytes",
                "livequery.previous-secret",
                "one-secret-of-enough-bytes",
                "livequery.previous-secret-overlap",
                "PT0S")) {
            b.put("c", "r1", "n", 1);
            HttpApiTest.error(b.http("GET", after, null), 400, "bad_query");
        }
    }

    @Test
    void serverPortIsWhereItListens() throws Exception {
        int free;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            free = s.getLocalPort();
        }
        try (TestGateway gw = new TestGateway("server.port", String.valueOf(free))) {
            assertThat(gw.port).isEqualTo(free);
            assertThat(gw.http("GET", "/health", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void pingIntervalIsHowOftenTheServerPings() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.ws.ping-interval", "PT0.5S");
                RawWs ws = new RawWs(gw.port, null, 0)) {
            long t0 = System.nanoTime();
            int pings = 0;
            while (pings < 3) {
                RawWs.Frame f = ws.read();
                assertThat(f).isNotNull();
                if (f.opcode() == 9) {
                    pings++;
                }
            }
            // the default (20 s) would have sent none yet
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
        }
    }

    @Test
    void resumeMaxChangesCapsTheHorizon() throws Exception {
        for (String cap : List.of("5", "1000000")) {
            try (TestGateway gw = new TestGateway("livequery.resume.max-changes", cap)) {
                assertResumes(gw, 20, i -> new Object[] {"n", i}, !cap.equals("5"), "max-changes " + cap);
            }
        }
    }

    /**
     * PROTOCOL §3's horizon is "at least N changes or T, whichever keeps more; configurable": each
     * key alone keeps a resume 20 changes back possible (the other made negligible), and neither
     * does when both are too small.
     */
    @Test
    void resumeHorizonKeysSetTheHorizon() throws Exception {
        String tiny = "PT0.000001S";
        Object[][] cases = {
            {"100", tiny, true},
            {"5", tiny, false},
            {"0", "PT10M", true},
            {"0", tiny, false},
        };
        for (Object[] c : cases) {
            try (TestGateway gw = new TestGateway(
                    "livequery.resume.horizon-changes", (String) c[0], "livequery.resume.horizon-time", (String)
                            c[1])) {
                assertResumes(
                        gw, 20, i -> new Object[] {"n", i}, (Boolean) c[2], "horizon " + c[0] + " changes, " + c[1]);
            }
        }
    }

    /**
     * Subscribes to table {@code h}, disconnects, makes {@code changes} new rows with the fields
     * {@code fields} gives, and resumes from the last eid: a resume without reset if {@code
     * resumes}, else {@code reset resume_miss}.
     */
    private static void assertResumes(
            TestGateway gw, int changes, java.util.function.IntFunction<Object[]> fields, boolean resumes, String as)
            throws Exception {
        gw.put("h", "a", "n", 1);
        Replica held;
        try (WsClient c = WsClient.connect(gw.port)) {
            c.send(WebSocketTest.sub("s", "{\"table\":\"h\",\"limit\":5}"));
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("s").readies() == 1);
            held = c.replica("s").copy();
        }
        String eid = held.lastEid();
        for (int i = 0; i < changes; i++) {
            gw.put("h", "x" + i, fields.apply(i));
        }
        try (WsClient c = WsClient.connect(gw.port)) {
            c.replicas.put("s", held);
            c.send("{\"action\":\"subscribe\",\"sub\":\"s\",\"query\":{\"table\":\"h\",\"limit\":5},\"resume\":\"" + eid
                    + "\"}");
            await().atMost(Duration.ofSeconds(5)).until(() -> c.replica("s").readies() == 1);
            boolean resumed = c.replica("s").resumedReadies() == 1;
            assertThat(resumed).as(as).isEqualTo(resumes);
            if (!resumed) {
                assertThat(c.replica("s").resetCauses()).containsExactly("subscribe", "resume_miss");
            }
            assertThat(c.replica("s").violations()).isEmpty();
        }
    }

    /** Puts a row into table {@code c} and returns its cursor, signed by the gateway's secret. */
    private static String firstCursor(TestGateway gw) throws Exception {
        gw.put("c", "r1", "n", 1);
        return HttpApiTest.json(gw.http("GET", "/v1/tables/c/query?order=n&limit=1", null))
                .get("cursors")
                .get(0)
                .asText();
    }

    @Test
    void secretSignsCursors() throws Exception {
        String cursor;
        try (TestGateway a = new TestGateway("livequery.secret", "one-secret-of-enough-bytes")) {
            cursor = firstCursor(a);
            assertThat(a.http("GET", "/v1/tables/c/query?order=n&limit=1&after=" + TestGateway.enc(cursor), null)
                            .statusCode())
                    .isEqualTo(200);
        }
        try (TestGateway b = new TestGateway("livequery.secret", "another-secret-of-enough-bytes")) {
            b.put("c", "r1", "n", 1);
            HttpApiTest.error(
                    b.http("GET", "/v1/tables/c/query?order=n&limit=1&after=" + TestGateway.enc(cursor), null),
                    400,
                    "bad_query");
        }
    }

    private static Config yaml() {
        return Config.just(ConfigSources.classpath("application.yaml").build());
    }

    private static String text() throws Exception {
        try (InputStream in = ApplicationYamlTest.class.getClassLoader().getResourceAsStream("application.yaml")) {
            return new String(Objects.requireNonNull(in).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Every setting's value, by accessor. */
    private static Map<String, Object> describe(Settings s) throws Exception {
        Map<String, Object> out = new java.util.TreeMap<>();
        for (Method m : Settings.class.getDeclaredMethods()) {
            if (java.lang.reflect.Modifier.isPublic(m.getModifiers())
                    && !java.lang.reflect.Modifier.isStatic(m.getModifiers())
                    && m.getParameterCount() == 0
                    && !Set.of("config", "serverConfig", "engineOptions", "toBuilder")
                            .contains(m.getName())) {
                out.put(m.getName(), m.invoke(s));
            }
        }
        return out;
    }
}
