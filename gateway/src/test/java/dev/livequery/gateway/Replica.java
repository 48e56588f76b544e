package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A client's copy of one window, built only by applying frames with the protocol's splice semantics.
 * {@code frames} are this connection's; {@link #copy()} (a reconnect) carries the rows, the last
 * eid, and the client's lifetime record: reset causes, resumed readies and splice violations.
 */
final class Replica {
    final List<JsonNode> rows = new ArrayList<>();
    final List<JsonNode> frames = new ArrayList<>();
    final List<String> resetCauses = new ArrayList<>();
    /** Frames that did not apply (an index off the window, or naming another row): a gap or a bad splice. */
    final List<String> violations = new ArrayList<>();
    /** The last version each row id was seen at since the last reset. */
    final java.util.Map<String, Long> versions = new java.util.HashMap<>();

    int resumedReadies;
    String lastEid;
    int readies;
    JsonNode lastReady;

    synchronized void apply(JsonNode f) {
        try {
            splice(f);
        } catch (AssertionError | RuntimeException e) {
            violations.add(f + ": " + e.getMessage());
            throw e;
        }
    }

    private void splice(JsonNode f) {
        frames.add(f);
        String op = f.path("op").asText();
        if (f.hasNonNull("id") && f.hasNonNull("version")) {
            // Versions only grow: an older version than one already applied is a stale replay.
            long v = f.get("version").asLong();
            Long seen = versions.put(f.get("id").asText(), v);
            assertThat(seen == null || seen <= v)
                    .as("%s: version %d after version %d", f, v, seen)
                    .isTrue();
        }
        switch (op) {
            case "reset" -> {
                rows.clear();
                versions.clear();
                resetCauses.add(f.path("cause").asText());
            }
            case "enter" -> rows.add(f.get("new_index").asInt(), f.get("row"));
            case "leave" -> {
                int i = f.get("old_index").asInt();
                assertThat(rows.get(i).get("id").asText())
                        .as("leave %s", f)
                        .isEqualTo(f.get("id").asText());
                rows.remove(i);
            }
            case "update" -> {
                int i = f.get("new_index").asInt();
                assertThat(rows.get(i).get("id").asText())
                        .as("update %s", f)
                        .isEqualTo(f.get("id").asText());
                rows.set(i, f.get("row"));
            }
            case "move" -> {
                int i = f.get("old_index").asInt();
                assertThat(rows.get(i).get("id").asText())
                        .as("move %s", f)
                        .isEqualTo(f.get("id").asText());
                rows.remove(i);
                rows.add(f.get("new_index").asInt(), f.get("row"));
            }
            case "ready" -> {
                readies++;
                lastReady = f;
                if (f.path("resumed").asBoolean()) {
                    resumedReadies++;
                }
            }
            default -> {}
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

    synchronized List<String> resetCauses() {
        return List.copyOf(resetCauses);
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    synchronized int resumedReadies() {
        return resumedReadies;
    }

    synchronized List<String> ids() {
        return rows.stream().map(r -> r.get("id").asText()).toList();
    }

    synchronized boolean has(String op, String causeOrNull) {
        return frames.stream()
                .anyMatch(f -> f.path("op").asText().equals(op)
                        && (causeOrNull == null
                                || causeOrNull.equals(f.path("cause").asText(null))));
    }

    synchronized Replica copy() {
        Replica r = new Replica();
        r.rows.addAll(rows);
        r.lastEid = lastEid;
        r.resetCauses.addAll(resetCauses);
        r.violations.addAll(violations);
        r.resumedReadies = resumedReadies;
        r.versions.putAll(versions);
        return r;
    }
}
