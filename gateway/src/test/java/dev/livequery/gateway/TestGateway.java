package dev.livequery.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.Json;
import dev.livequery.core.LocalBackend;
import dev.livequery.testkit.wire.WsClient;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A real gateway on a free loopback port over a real {@link LocalBackend}, or over a backend the
 * test made (e.g. a {@code RedisBackend}); either way it closes the backend with itself.
 */
final class TestGateway implements AutoCloseable {
    final Backend backend;
    final Gateway gateway;
    final int port;

    TestGateway(String... keyValues) {
        this(null, keyValues);
    }

    /** {@code backend} null: a {@link LocalBackend} made from the settings. */
    private TestGateway(Function<Settings, Backend> backend, String... keyValues) {
        Settings s = settings(keyValues);
        this.backend = backend == null ? new LocalBackend(s.engineOptions()) : backend.apply(s);
        gateway = Gateway.start(s, this.backend, null);
        port = gateway.port();
    }

    /** A gateway over the backend {@code make} builds from its settings (engine options included). */
    static TestGateway over(Function<Settings, Backend> make, String... keyValues) {
        return new TestGateway(make, keyValues);
    }

    static Settings settings(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        m.put("server.port", "0");
        m.put("livequery.demo.enabled", "false");
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return Settings.from(Config.just(ConfigSources.create(m)));
    }

    ObjectNode row(String id, Object... fields) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        for (int i = 0; i < fields.length; i += 2) {
            o.set((String) fields[i], Json.MAPPER.valueToTree(fields[i + 1]));
        }
        return o;
    }

    void put(String table, String id, Object... fields) throws Exception {
        backend.put(table, id, row(id, fields), null);
    }

    HttpResponse<String> http(String method, String path, String body, String... headers) throws Exception {
        return http(port, method, path, body, headers);
    }

    /** The one-shot query's rows: the truth a replica must equal. */
    List<JsonNode> truth(String table, String params) throws Exception {
        return truth(port, table, params);
    }

    static HttpResponse<String> http(int port, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(java.time.Duration.ofSeconds(30))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return WsClient.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The one-shot query's rows, as gateway {@code port} answers it. */
    static List<JsonNode> truth(int port, String table, String params) throws Exception {
        HttpResponse<String> r = http(port, "GET", "/v1/tables/" + table + "/query?" + params, null);
        if (r.statusCode() != 200) {
            throw new AssertionError("query failed: " + r.statusCode() + " " + r.body());
        }
        JsonNode rows = Json.MAPPER.readTree(r.body()).get("rows");
        List<JsonNode> out = new java.util.ArrayList<>();
        rows.forEach(out::add);
        return out;
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        gateway.stop();
        backend.close();
    }
}
