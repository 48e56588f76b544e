package dev.livequery.loadgen;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a write goes. livequery: {@code PUT /v1/tables/{t}/rows/{id}} (PROTOCOL §7); a peer:
 * {@code POST /publish/{shape}}, which the peer broadcasts to the shape's room as is. With a
 * {@code token} (a jwt gateway) every livequery request carries it as {@code Authorization: Bearer}.
 */
record WriteTarget(URI base, Workload workload, boolean livequery, String token) {

    /** {@code sep + "access_token=" + token} for a URL the client cannot put a header on, or "". */
    static String tokenParam(String token, char sep) {
        return token == null ? "" : sep + "access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder b) {
        return token == null || !livequery ? b : b.header("Authorization", "Bearer " + token);
    }

    /** One write: livequery's PUT of a row or a peer's POST to a room, with its JSON body. */
    record Request(HttpMethod method, String path, byte[] body) {}

    /** The token every write carries (livequery only), or null. */
    String bearer() {
        return livequery ? token : null;
    }

    /** Row {@code j} of {@code shape}, stamped now; sent by {@link HttpWrites} to {@link #base}. */
    Request write(int shape, int j, long seq) {
        byte[] body;
        try {
            body = Json.MAPPER.writeValueAsBytes(workload.row(shape, j, seq, Clock.nowMicros()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return livequery
                ? new Request(
                        HttpMethod.PUT, "/v1/tables/" + workload.table() + "/rows/" + workload.rowId(shape, j), body)
                : new Request(HttpMethod.POST, "/publish/" + shape, body);
    }

    /** Batches that create every row of every shape (livequery only: peers keep no rows). */
    List<HttpRequest> seed() {
        List<HttpRequest> out = new ArrayList<>();
        if (!livequery) {
            return out;
        }
        ObjectNode body = null;
        long seq = 0;
        for (int k = 0; k < workload.shapes(); k++) {
            for (int j = 0; j < workload.rowsPerShape(); j++) {
                if (body == null) {
                    body = Json.MAPPER.createObjectNode();
                    body.putArray("upsert");
                }
                ((ArrayNode) body.get("upsert")).add(workload.row(k, j, --seq, 1));
                if (body.get("upsert").size() == 500) {
                    out.add(batch(body));
                    body = null;
                }
            }
        }
        if (body != null) {
            out.add(batch(body));
        }
        return out;
    }

    private HttpRequest batch(ObjectNode body) {
        return authorized(HttpRequest.newBuilder(base.resolve("/v1/tables/" + workload.table() + "/batch")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
    }
}
