package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Replica;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Compares replicas with the one-shot query truth ({@code GET /v1/tables/{t}/query}, PROTOCOL §7),
 * by row id and the writer's unique {@code seq} in order. Run after the writers stopped and the
 * streams went quiet. Any difference, or a replica whose frames did not fit, is a failure.
 */
final class Verifier {
    /** The outcome: how many replicas were compared, and the first few differences. */
    record Result(int compared, int mismatched, List<String> examples) {
        boolean ok() {
            return mismatched == 0;
        }
    }

    private final HttpClient http;
    private final URI base;
    private final Workload workload;
    /** Per client (by index): "" or {@code &access_token=…} with its token for a jwt gateway. */
    private final IntFunction<String> tokenParam;

    /** By shape and token parameter: what that token may see of that shape. */
    private final Map<String, List<String>> truth = new HashMap<>();

    Verifier(HttpClient http, URI base, Workload workload, IntFunction<String> tokenParam) {
        this.tokenParam = tokenParam;
        this.http = http;
        this.base = base;
        this.workload = workload;
    }

    /** What a client's replica keeps of a row: the writer's {@code seq}, all that verifying needs. */
    static JsonNode seq(JsonNode row) {
        return row.path("seq");
    }

    Result verify(List<LiveClient> clients, int sample) throws IOException, InterruptedException {
        int compared = 0;
        int mismatched = 0;
        List<String> examples = new ArrayList<>();
        int step = Math.max(1, clients.size() / Math.max(1, sample));
        for (int c = 0; c < clients.size(); c += step) {
            LiveClient client = clients.get(c);
            for (int i = 0; i < client.replicas().size(); i++) {
                Replica r = client.replicas().get(i);
                List<String> want = truth(client.shapes().get(i), tokenParam.apply(c));
                List<String> have = r.items().stream()
                        .map(it -> it.id() + "@" + it.row().asLong(-1))
                        .toList();
                compared++;
                String why = r.broken() != null
                        ? r.broken()
                        : !have.equals(want) ? "window " + have + " but the query says " + want : null;
                if (why != null) {
                    mismatched++;
                    if (examples.size() < 5) {
                        examples.add("client " + c + " sub " + i + ": " + why);
                    }
                }
            }
        }
        return new Result(compared, mismatched, examples);
    }

    private List<String> truth(int shape, String param) throws IOException, InterruptedException {
        List<String> known = truth.get(shape + "|" + param);
        if (known != null) {
            return known;
        }
        HttpResponse<String> res = http.send(
                HttpRequest.newBuilder(base.resolve(
                                "/v1/tables/" + workload.table() + "/query?" + workload.queryString(shape) + param))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IOException("query answered " + res.statusCode() + ": " + res.body());
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode row : Json.MAPPER.readTree(res.body()).path("rows")) {
            ids.add(row.path("id").asText() + "@" + row.path("seq").asLong(-1));
        }
        truth.put(shape + "|" + param, ids);
        return ids;
    }
}
