package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The shapes and rows every target gets: shape {@code k} is {@code where g = k, order ts desc,
 * limit window}; it holds {@code rowsPerShape} rows with ids {@code k<k>r<j>}. A write replaces one
 * row with a fresh {@code ts} (epoch micros), a unique {@code seq} and {@code pad} filler bytes.
 */
public record Workload(String table, int shapes, int rowsPerShape, int window, int padBytes) {

    public Workload {
        if (rowsPerShape > window) {
            throw new IllegalArgumentException("rows-per-shape must be <= window so each write is one frame");
        }
    }

    public String rowId(int shape, int j) {
        return "k" + shape + "r" + j;
    }

    public ObjectNode row(int shape, int j, long seq, long tsMicros) {
        ObjectNode row = Json.MAPPER.createObjectNode();
        row.put("id", rowId(shape, j));
        row.put("g", shape);
        row.put("ts", tsMicros);
        row.put("seq", seq);
        if (padBytes > 0) {
            row.put("pad", "x".repeat(padBytes));
        }
        return row;
    }

    public String whereJson(int shape) {
        return "{\"g\":" + shape + "}";
    }

    /** The WebSocket {@code query} object (PROTOCOL §2). */
    public ObjectNode query(int shape) {
        ObjectNode q = Json.MAPPER.createObjectNode();
        q.put("table", table);
        q.putObject("where").put("g", shape);
        q.putArray("order").addObject().put("field", "ts").put("dir", "desc");
        q.put("limit", window);
        return q;
    }

    /** The query string of SSE (§5) and of the one-shot query (§7) for a shape. */
    public String queryString(int shape) {
        return "where=" + URLEncoder.encode(whereJson(shape), StandardCharsets.UTF_8) + "&order=-ts&limit=" + window;
    }
}
