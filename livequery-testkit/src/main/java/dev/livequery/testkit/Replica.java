package dev.livequery.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A client's copy of one subscription's window, built only by applying frames (the wire JSON of
 * PROTOCOL §3, from WebSocket, SSE or an encoded engine frame) with the splice semantics: each
 * index relative to the window the previous frame left. This is the one replica every module's
 * tests and the load generator use.
 *
 * <p>It checks everything a client can notice on its own: every index in range, the id at
 * {@code old_index}/{@code new_index} is the frame's id, an {@code enter} never brings an id the
 * window already holds, row frames carry {@code row} and {@code cursor}, and a row's version
 * never goes back since the last {@code reset} (an older version is a stale replay). A frame that
 * does not fit is recorded in {@link #violations()}; a test replica ({@link #Replica()}) then
 * throws {@link AssertionError}, a {@link #lean lean} one leaves the frame unapplied and goes on.
 *
 * <p>{@link #copy()} is a reconnect: the window, the last eid and the lifetime record (reset
 * causes, resumed readies, violations, statuses) carry over; the frame log and the ready count
 * start empty, so they always describe one connection.
 */
public final class Replica {
    /** One row of the window; {@code row} is what the replica keeps of the row (all of it in tests). */
    public record Item(String id, long version, JsonNode row) {}

    /** What applying a frame meant to the caller. */
    public enum Applied {
        /** A row frame after {@code ready}: a live change. */
        CHANGE,
        /** A row frame before {@code ready}: part of a snapshot, reanchor or resume. */
        SNAPSHOT,
        /** {@code reset}, {@code status}, {@code error}, {@code closed}, {@code pong}. */
        CONTROL,
        READY
    }

    /**
     * Violations kept: once a lean replica breaks, nearly every later frame misfits too, and a long
     * load run must not keep one string per frame; the first ones say what went wrong.
     */
    static final int MAX_VIOLATIONS = 32;

    private final boolean strict;
    private final boolean log;
    private final UnaryOperator<JsonNode> keep;

    private final List<Item> items = new ArrayList<>();
    /** The ids of {@link #items}, so that an enter of a held id is caught without a scan. */
    private final Set<String> held = new HashSet<>();
    /** The last version each row id was seen at since the last reset. */
    private final Map<String, Long> versions = new HashMap<>();

    private final List<JsonNode> frames = new ArrayList<>();
    private final List<String> resetCauses = new ArrayList<>();
    private final List<String> statuses = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private String lastEid;
    private JsonNode lastReady;
    private boolean ready;
    private int readies;
    private int resumedReadies;

    /** A test's replica: keeps whole rows and this connection's frames, throws on a frame that does not fit. */
    public Replica() {
        this(true, true, UnaryOperator.identity());
    }

    private Replica(boolean strict, boolean log, UnaryOperator<JsonNode> keep) {
        this.strict = strict;
        this.log = log;
        this.keep = keep;
    }

    /**
     * A replica for a client among thousands (the load generator): keeps only {@code keep(row)} of
     * each row and no frame log, and records a frame that does not fit instead of throwing, since it
     * arrives on a reader thread and the run reports {@link #broken()} at the end.
     */
    public static Replica lean(UnaryOperator<JsonNode> keep) {
        return new Replica(false, false, keep);
    }

    /** Applies one frame whose resume token, if any, is its {@code eid} member. */
    public Applied apply(JsonNode f) {
        return apply(f, f.path("eid").asText(null));
    }

    /** Applies one frame; {@code eid} is its resume token (an SSE {@code id:} line) or null. */
    public synchronized Applied apply(JsonNode f, String eid) {
        if (log) {
            frames.add(f);
        }
        String why = splice(f);
        if (why != null) {
            String v = f + ": " + why;
            if (violations.size() < MAX_VIOLATIONS) {
                violations.add(v);
            }
            if (strict) {
                throw new AssertionError(v);
            }
        }
        if (eid != null) {
            lastEid = eid;
        }
        return switch (f.path("op").asText()) {
            case "enter", "leave", "update", "move" -> ready ? Applied.CHANGE : Applied.SNAPSHOT;
            case "ready" -> Applied.READY;
            default -> Applied.CONTROL;
        };
    }

    /** Applies the frame; returns why it does not fit (and leaves the window as it was), or null. */
    private String splice(JsonNode f) {
        String op = f.path("op").asText();
        String id = f.path("id").asText(null);
        if (id != null && f.hasNonNull("version")) {
            long v = f.get("version").asLong();
            Long seen = versions.get(id);
            if (seen != null && seen > v) {
                return op + " of " + id + " at version " + v + " after version " + seen;
            }
        }
        switch (op) {
            case "reset" -> {
                items.clear();
                held.clear();
                versions.clear();
                ready = false;
                resetCauses.add(f.path("cause").asText());
            }
            case "enter" -> {
                int to = f.path("new_index").asInt(-1);
                String bad = row(f);
                if (bad != null || to < 0 || to > items.size()) {
                    return bad != null ? bad : "new_index " + to + " outside [0," + items.size() + "]";
                }
                if (!held.add(id)) {
                    return "enter of " + id + ", which the window already holds";
                }
                items.add(to, item(f));
            }
            case "leave" -> {
                String bad = at(f, "old_index");
                if (bad != null) {
                    return bad;
                }
                items.remove(f.get("old_index").asInt());
                held.remove(id);
            }
            case "update" -> {
                String bad = row(f) != null ? row(f) : at(f, "new_index");
                if (bad != null) {
                    return bad;
                }
                items.set(f.get("new_index").asInt(), item(f));
            }
            case "move" -> {
                String bad = row(f) != null ? row(f) : at(f, "old_index");
                if (bad != null) {
                    return bad;
                }
                int to = f.path("new_index").asInt(-1);
                if (to < 0 || to > items.size() - 1) {
                    return "new_index " + to + " outside [0," + (items.size() - 1) + "] after the removal";
                }
                items.remove(f.get("old_index").asInt());
                items.add(to, item(f));
            }
            case "ready" -> {
                ready = true;
                readies++;
                lastReady = f;
                if (f.path("resumed").asBoolean()) {
                    resumedReadies++;
                }
            }
            case "status" -> statuses.add(f.path("state").asText());
            case "error", "closed", "pong" -> {}
            default -> {
                return "unknown op '" + op + "'";
            }
        }
        if (id != null && f.hasNonNull("version")) {
            versions.put(id, f.get("version").asLong()); // only once the frame fitted
        }
        return null;
    }

    /** Why the row frame lacks what PROTOCOL §3 says every row frame carries, or null. */
    private static String row(JsonNode f) {
        if (!f.path("row").isObject()) {
            return "row frame without a row";
        }
        return f.path("cursor").asText("").isBlank() ? "row frame without a cursor" : null;
    }

    /** Why the index field does not name the frame's row in the window, or null. */
    private String at(JsonNode f, String field) {
        int i = f.path(field).asInt(-1);
        if (i < 0 || i >= items.size()) {
            return field + " " + i + " outside [0," + items.size() + ")";
        }
        String have = items.get(i).id();
        return have.equals(f.path("id").asText()) ? null : field + " " + i + " holds " + have;
    }

    private Item item(JsonNode f) {
        return new Item(f.path("id").asText(), f.path("version").asLong(), keep.apply(f.path("row")));
    }

    /** The window, in order. */
    public synchronized List<Item> items() {
        return List.copyOf(items);
    }

    /** The rows of the window, in order (what the replica kept of each). */
    public synchronized List<JsonNode> rows() {
        return items.stream().map(Item::row).toList();
    }

    public synchronized List<String> ids() {
        return items.stream().map(Item::id).toList();
    }

    /** The last version each row id was seen at since the last reset. */
    public synchronized Map<String, Long> versions() {
        return Map.copyOf(versions);
    }

    /** Every frame applied on this connection, in order (empty for a lean replica). */
    public synchronized List<JsonNode> frames() {
        return List.copyOf(frames);
    }

    /** Whether this connection got a frame with this op (and cause, when not null). */
    public synchronized boolean has(String op, String causeOrNull) {
        return frames.stream()
                .anyMatch(f -> f.path("op").asText().equals(op)
                        && (causeOrNull == null
                                || causeOrNull.equals(f.path("cause").asText(null))));
    }

    /** The cause of every reset over the client's life. */
    public synchronized List<String> resetCauses() {
        return List.copyOf(resetCauses);
    }

    /** Every {@code status} state the client was told, in order. */
    public synchronized List<String> statuses() {
        return List.copyOf(statuses);
    }

    /** Told {@code status stale} and not {@code live} since. */
    public synchronized boolean stale() {
        return !statuses.isEmpty() && statuses.getLast().equals("stale");
    }

    /** The first {@value #MAX_VIOLATIONS} frames that did not fit, each with why: a gap, a bad splice, a stale replay. */
    public synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    /** The first frame that did not fit, or null. */
    public synchronized String broken() {
        return violations.isEmpty() ? null : violations.getFirst();
    }

    public synchronized String lastEid() {
        return lastEid;
    }

    /** Whether a {@code ready} came after the last reset (and after {@link #expectReady()}). */
    public synchronized boolean ready() {
        return ready;
    }

    /** Marks the replica as waiting for the ready that follows a (re)subscribe. */
    public synchronized void expectReady() {
        ready = false;
    }

    /** Readies on this connection. */
    public synchronized int readies() {
        return readies;
    }

    public synchronized JsonNode lastReady() {
        return lastReady;
    }

    /** Whether the last ready said {@code resumed: true}. */
    public synchronized boolean lastReadyResumed() {
        return lastReady != null && lastReady.path("resumed").asBoolean();
    }

    /** Readies with {@code resumed: true} over the client's life. */
    public synchronized int resumedReadies() {
        return resumedReadies;
    }

    /** What a client reconnecting with this replica's window starts from; see the class comment. */
    public synchronized Replica copy() {
        Replica r = new Replica(strict, log, keep);
        r.items.addAll(items);
        r.held.addAll(held);
        r.versions.putAll(versions);
        r.resetCauses.addAll(resetCauses);
        r.statuses.addAll(statuses);
        r.violations.addAll(violations);
        r.lastEid = lastEid;
        r.resumedReadies = resumedReadies;
        return r;
    }

    @Override
    public synchronized String toString() {
        StringBuilder b = new StringBuilder("[");
        for (Item i : items) {
            b.append(b.length() > 1 ? ", " : "")
                    .append(i.id())
                    .append('@')
                    .append(i.version())
                    .append(i.row());
        }
        return b.append(']').toString();
    }
}
