package dev.livequery.shard;

import dev.livequery.core.Frame;
import dev.livequery.core.Subscription;
import java.util.ArrayList;
import java.util.List;

/** A naive protocol client: applies every frame to a list, as PROTOCOL §3 says a client does. */
final class Client {
    record Item(String id, long version) {
    }

    final Subscription sub;
    final List<Item> window = new ArrayList<>();
    final List<String> resets = new ArrayList<>();
    final List<String> statuses = new ArrayList<>();
    final List<Frame> all = new ArrayList<>();
    /** Frames that did not apply, or replayed an older version of a row: a gap or a bad splice. */
    final List<String> violations = new ArrayList<>();
    /** The last version each row id was seen at since the last reset. */
    private final java.util.Map<String, Long> versions = new java.util.HashMap<>();
    String lastEid;
    boolean ready;
    int resumedReadies;
    /** Told {@code status stale} and not {@code live} since. */
    boolean staleNow;

    Client(Subscription sub) {
        this.sub = sub;
    }

    /** Drains and applies what is queued; returns this for chaining in awaits. */
    synchronized Client poll() {
        List<Frame> fs = new ArrayList<>();
        sub.drain(fs, Integer.MAX_VALUE);
        for (Frame f : fs) {
            all.add(f);
            try {
                apply(f);
            } catch (AssertionError | RuntimeException e) {
                violations.add(f.op() + " " + f.id() + ": " + e.getMessage());
                throw e;
            }
        }
        return this;
    }

    private void apply(Frame f) {
        if (f.id() != null && f.op() != Frame.Op.RESET) {
            Long seen = versions.put(f.id(), f.version());
            if (seen != null && seen > f.version()) {
                throw new AssertionError(f.op() + " of " + f.id() + " at version " + f.version()
                        + " after version " + seen);
            }
        }
        switch (f.op()) {
            case RESET -> {
                window.clear();
                versions.clear();
                resets.add(f.cause());
                ready = false;
            }
            case ENTER -> window.add(f.newIndex(), new Item(f.id(), f.version()));
            case LEAVE -> {
                Item gone = window.remove(f.oldIndex());
                if (!gone.id().equals(f.id())) {
                    throw new AssertionError("leave of " + f.id() + " at " + f.oldIndex() + " but found " + gone);
                }
            }
            case UPDATE -> {
                Item old = window.set(f.newIndex(), new Item(f.id(), f.version()));
                if (!old.id().equals(f.id())) {
                    throw new AssertionError("update of " + f.id() + " at " + f.newIndex() + " but found " + old);
                }
            }
            case MOVE -> {
                Item old = window.remove(f.oldIndex());
                if (!old.id().equals(f.id())) {
                    throw new AssertionError("move of " + f.id() + " from " + f.oldIndex() + " but found " + old);
                }
                window.add(f.newIndex(), new Item(f.id(), f.version()));
            }
            case READY -> {
                ready = true;
                if (f.resumed()) {
                    resumedReadies++;
                }
            }
            case STATUS -> {
                statuses.add(f.cause());
                staleNow = "stale".equals(f.cause());
            }
            default -> {
            }
        }
        if (f.eid() != null) {
            lastEid = f.eid();
        }
    }

    synchronized List<Item> window() {
        return List.copyOf(window);
    }
}
