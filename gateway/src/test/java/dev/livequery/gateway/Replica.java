package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** A client's copy of one window, built only by applying frames with the protocol's splice semantics. */
final class Replica {
    final List<JsonNode> rows = new ArrayList<>();
    final List<JsonNode> frames = new ArrayList<>();
    String lastEid;
    int readies;
    JsonNode lastReady;

    synchronized void apply(JsonNode f) {
        frames.add(f);
        String op = f.path("op").asText();
        switch (op) {
            case "reset" -> rows.clear();
            case "enter" -> rows.add(f.get("new_index").asInt(), f.get("row"));
            case "leave" -> {
                int i = f.get("old_index").asInt();
                assertThat(rows.get(i).get("id").asText()).as("leave %s", f).isEqualTo(f.get("id").asText());
                rows.remove(i);
            }
            case "update" -> {
                int i = f.get("new_index").asInt();
                assertThat(rows.get(i).get("id").asText()).as("update %s", f).isEqualTo(f.get("id").asText());
                rows.set(i, f.get("row"));
            }
            case "move" -> {
                int i = f.get("old_index").asInt();
                assertThat(rows.get(i).get("id").asText()).as("move %s", f).isEqualTo(f.get("id").asText());
                rows.remove(i);
                rows.add(f.get("new_index").asInt(), f.get("row"));
            }
            case "ready" -> {
                readies++;
                lastReady = f;
            }
            default -> {
            }
        }
        if (f.hasNonNull("eid")) {
            lastEid = f.get("eid").asText();
        }
    }

    synchronized List<JsonNode> rows() {
        return List.copyOf(rows);
    }

    synchronized List<JsonNode> frames() {
        return List.copyOf(frames);
    }

    synchronized List<String> ids() {
        return rows.stream().map(r -> r.get("id").asText()).toList();
    }

    synchronized boolean has(String op, String causeOrNull) {
        return frames.stream().anyMatch(f -> f.path("op").asText().equals(op)
                && (causeOrNull == null || causeOrNull.equals(f.path("cause").asText(null))));
    }

    synchronized Replica copy() {
        Replica r = new Replica();
        r.rows.addAll(rows);
        r.lastEid = lastEid;
        return r;
    }
}
