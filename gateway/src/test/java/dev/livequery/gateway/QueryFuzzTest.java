package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Engine;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Frame;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.QueryResult;
import dev.livequery.core.Subscription;
import dev.livequery.core.Where;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Fuzz targets for what a client types into a query: the query parser (WebSocket JSON form and the
 * query-string form of SSE and the one-shot query), cursors ({@code after}/{@code before} of a
 * one-shot query, decoded and MAC-checked by the engine) and resume tokens ({@code resume} of a
 * subscribe). Any input is accepted or refused with a coded {@link LiveQueryException}; a resume
 * token that does not verify is the documented {@code reset resume_miss} (or {@code epoch}); any
 * other exception is a failure.
 *
 * <p>Cursors and tokens are fuzzed two ways: as raw strings, and as a real one minted by the
 * backend with a fuzzed edit (a replaced character, a cut, a suffix), and under an access filter
 * (PROTOCOL §9) as well as without one, so the decoder past the MAC is reached too.
 *
 * <p>{@code mvn verify} replays the regression corpus under {@code src/test/resources/…/QueryFuzzTestInputs};
 * {@code JAZZER_FUZZ=1 ./mvnw -pl gateway -am verify -Dtest='QueryFuzzTest#cursors'} fuzzes for real.
 */
class QueryFuzzTest {
    private static final Engine BACKEND = seeded();
    private static final Query BASE = parse("{\"table\":\"items\",\"where\":{\"g\":1},"
            + "\"order\":[{\"field\":\"ts\",\"dir\":\"desc\"}],\"limit\":5}");
    private static final Where TENANT = where("{\"tenant\":\"acme\"}");
    private static final String CURSOR = mintCursor();
    private static final String TOKEN = mintToken();

    private static Engine seeded() {
        Engine b = new Engine(
                EngineOptions.defaults()
                        .withSecret("fuzz-secret-fuzz-secret".getBytes(StandardCharsets.UTF_8))
                        .withTables(Set.of("items")),
                7);
        try {
            for (int i = 1; i <= 20; i++) {
                b.ingest(
                        "items",
                        "r" + i,
                        Json.MAPPER
                                .createObjectNode()
                                .put("id", "r" + i)
                                .put("g", i % 2)
                                .put("ts", i * 10)
                                .put("tenant", i % 3 == 0 ? "other" : "acme"),
                        i);
            }
        } catch (LiveQueryException e) {
            throw new IllegalStateException(e);
        }
        return b;
    }

    private static Query parse(String json) {
        try {
            return Query.parse(Json.MAPPER.readTree(json));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Where where(String json) {
        try {
            return Where.parse(Json.MAPPER.readTree(json));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String mintCursor() {
        try {
            List<String> cursors = BACKEND.query(BASE).cursors();
            return cursors.get(2);
        } catch (LiveQueryException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String mintToken() {
        try (Subscription s = BACKEND.subscribe(BASE, null, () -> {})) {
            List<Frame> frames = new ArrayList<>();
            s.drain(frames, 1000);
            return frames.stream()
                    .map(Frame::eid)
                    .filter(e -> e != null)
                    .reduce((a, b) -> b)
                    .orElseThrow();
        } catch (LiveQueryException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A raw string, or the given real one with one fuzzed edit. */
    private static String mutated(FuzzedDataProvider data, String real) {
        int mode = data.consumeInt(0, 3);
        if (mode == 0) {
            return data.consumeRemainingAsString();
        }
        int at = data.consumeInt(0, real.length());
        return switch (mode) {
            case 1 -> real.substring(0, at);
            case 2 -> at == real.length() ? real : real.substring(0, at) + data.consumeChar() + real.substring(at + 1);
            default -> real + data.consumeRemainingAsString();
        };
    }

    private static void coded(LiveQueryException e) {
        assertThat(e.code()).isNotNull();
        assertThat(e.getMessage()).isNotBlank().doesNotContain("fuzz-secret");
    }

    @FuzzTest(maxDuration = "10s")
    void queryJson(FuzzedDataProvider data) {
        JsonNode q;
        try {
            q = Json.MAPPER.readTree(data.consumeRemainingAsString());
        } catch (Exception e) {
            return; // not JSON: the transports answer bad_request before the parser runs
        }
        try {
            Query query = Query.parse(q);
            assertThat(query.shape().table()).isNotEmpty();
            assertThat(query.window().limit()).isPositive();
        } catch (LiveQueryException e) {
            coded(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void queryParams(FuzzedDataProvider data) {
        // Each parameter absent, fuzzed, or a plausible value: the JDK's own parsers (Integer,
        // regex) give no coverage feedback on JDK 25, so raw strings alone rarely get past limit.
        String[] plausible = {"items", "{\"g\":1,\"tenant\":{\"in\":[\"acme\"]}}", "-ts,name", null, CURSOR, CURSOR};
        String[] p = new String[6];
        for (int i = 0; i < p.length; i++) {
            p[i] = switch (data.consumeInt(0, 2)) {
                case 0 -> null;
                case 1 -> data.consumeString(200);
                default -> i == 3 ? String.valueOf(data.consumeInt(-5, 100_000)) : plausible[i];
            };
        }
        try {
            Query query = Query.fromParams(p[0], p[1], p[2], p[3], p[4], p[5]);
            assertThat(query.window().limit()).isPositive();
        } catch (LiveQueryException e) {
            coded(e);
        }
    }

    /** A one-shot query with {@code after} or {@code before} = the input, with and without an access filter. */
    @FuzzTest(maxDuration = "10s")
    void cursors(FuzzedDataProvider data) {
        boolean before = data.consumeBoolean();
        boolean scoped = data.consumeBoolean();
        String cursor = mutated(data, CURSOR);
        try {
            Query q =
                    Query.fromParams("items", "{\"g\":1}", "-ts", "5", before ? null : cursor, before ? cursor : null);
            QueryResult r = BACKEND.query(scoped ? q.withAccess(TENANT) : q);
            assertThat(r.rows()).hasSizeLessThanOrEqualTo(5);
            if (scoped) {
                assertThat(r.rows()).allMatch(row -> TENANT.matches(row.data()));
            }
        } catch (LiveQueryException e) {
            coded(e);
        }
    }

    /** A subscribe with {@code resume} = the input: it resumes, or its first frame is a documented reset. */
    @FuzzTest(maxDuration = "10s")
    void resumeTokens(FuzzedDataProvider data) {
        boolean scoped = data.consumeBoolean();
        String token = mutated(data, TOKEN);
        Query q = scoped ? BASE.withAccess(TENANT) : BASE;
        try (Subscription s = BACKEND.subscribe(q, token, () -> {})) {
            List<Frame> frames = new ArrayList<>();
            s.drain(frames, 1000);
            assertThat(frames).isNotEmpty();
            Frame first = frames.get(0);
            if (first instanceof Frame.Reset r) {
                assertThat(r.cause()).isIn("resume_miss", "epoch");
            } else {
                assertThat(frames.get(frames.size() - 1))
                        .isInstanceOfSatisfying(
                                Frame.Ready.class,
                                ready -> assertThat(ready.resumed()).isTrue());
                assertThat(scoped)
                        .as("a token minted without the filter resumed under it")
                        .isFalse();
            }
        } catch (LiveQueryException e) {
            coded(e);
        }
    }
}
