package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A client's copy of one subscription's window, kept by PROTOCOL §3 splice semantics: each frame
 * applies to the window the previous one left. A frame that does not fit (index out of range, a
 * {@code leave}/{@code update} naming another row) marks the replica broken — the run then fails.
 */
public final class Replica {
    /** One row of the window; {@code row} is kept only when asked (replay), {@code seq} always. */
    public record Item(String id, long version, long seq, JsonNode row) {}

    /** What applying a frame meant to the caller. */
    public enum Applied {
        CHANGE,
        SNAPSHOT,
        CONTROL,
        READY
    }

    private final boolean keepRows;
    private final List<Item> items = new ArrayList<>();
    private volatile String lastEid;
    private volatile boolean ready;
    private boolean lastReadyResumed;
    private int resets;
    private String broken;

    public Replica(boolean keepRows) {
        this.keepRows = keepRows;
    }

    /** Applies one frame (the decoded JSON, WS or SSE); {@code eid} is its resume token or null. */
    public synchronized Applied apply(JsonNode f, String eid) {
        String op = f.path("op").asText();
        Applied what = ready ? Applied.CHANGE : Applied.SNAPSHOT;
        try {
            switch (op) {
                case "reset" -> {
                    items.clear();
                    ready = false;
                    resets++;
                    what = Applied.CONTROL;
                }
                case "enter" -> items.add(f.path("new_index").asInt(), item(f));
                case "leave" -> {
                    Item gone = items.remove(f.path("old_index").asInt());
                    check(gone, f);
                }
                case "update" -> {
                    int i = f.path("new_index").asInt();
                    check(items.get(i), f);
                    items.set(i, item(f));
                }
                case "move" -> {
                    Item gone = items.remove(f.path("old_index").asInt());
                    check(gone, f);
                    items.add(f.path("new_index").asInt(), item(f));
                }
                case "ready" -> {
                    ready = true;
                    lastReadyResumed = f.path("resumed").asBoolean();
                    what = Applied.READY;
                }
                default -> what = Applied.CONTROL;
            }
        } catch (IndexOutOfBoundsException e) {
            broken = "index out of range in " + f;
        }
        if (eid != null) {
            lastEid = eid;
        }
        return what;
    }

    private void check(Item have, JsonNode f) {
        if (!have.id().equals(f.path("id").asText())) {
            broken = "frame names " + f.path("id").asText() + " but the window holds " + have.id() + ": " + f;
        }
    }

    private Item item(JsonNode f) {
        JsonNode row = f.path("row");
        return new Item(
                f.path("id").asText(),
                f.path("version").asLong(),
                row.path("seq").asLong(-1),
                keepRows ? row : null);
    }

    public synchronized List<Item> items() {
        return List.copyOf(items);
    }

    public String lastEid() {
        return lastEid;
    }

    public boolean ready() {
        return ready;
    }

    public synchronized boolean lastReadyResumed() {
        return lastReadyResumed;
    }

    public synchronized int resets() {
        return resets;
    }

    /** Why the frame stream did not fit, or null. */
    public synchronized String broken() {
        return broken;
    }

    /** Marks the replica as waiting for the ready that follows a (re)subscribe. */
    public void expectReady() {
        ready = false;
    }
}
