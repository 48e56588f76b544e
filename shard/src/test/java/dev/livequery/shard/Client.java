package dev.livequery.shard;

import dev.livequery.core.Frame;
import dev.livequery.core.Subscription;
import java.util.ArrayList;
import java.util.List;

/** A naive protocol client: applies every frame to a list, as PROTOCOL §3 says a client does. */
final class Client {
    record Item(String id, long version) {}

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
                violations.add(f + ": " + e.getMessage());
                throw e;
            }
        }
        return this;
    }

    private void apply(Frame f) {
        if (f instanceof Frame.RowFrame r) {
            Long seen = versions.put(r.id(), r.version());
            if (seen != null && seen > r.version()) {
                throw new AssertionError(
                        f.op() + " of " + r.id() + " at version " + r.version() + " after version " + seen);
            }
        }
        switch (f) {
            case Frame.Reset r -> {
                window.clear();
                versions.clear();
                resets.add(r.cause());
                ready = false;
            }
            case Frame.Enter e -> window.add(e.newIndex(), new Item(e.id(), e.version()));
            case Frame.Leave l -> {
                Item gone = window.remove(l.oldIndex());
                if (!gone.id().equals(l.id())) {
                    throw new AssertionError("leave of " + l.id() + " at " + l.oldIndex() + " but found " + gone);
                }
            }
            case Frame.Update u -> {
                Item old = window.set(u.newIndex(), new Item(u.id(), u.version()));
                if (!old.id().equals(u.id())) {
                    throw new AssertionError("update of " + u.id() + " at " + u.newIndex() + " but found " + old);
                }
            }
            case Frame.Move m -> {
                Item old = window.remove(m.oldIndex());
                if (!old.id().equals(m.id())) {
                    throw new AssertionError("move of " + m.id() + " from " + m.oldIndex() + " but found " + old);
                }
                window.add(m.newIndex(), new Item(m.id(), m.version()));
            }
            case Frame.Ready r -> {
                ready = true;
                if (r.resumed()) {
                    resumedReadies++;
                }
            }
            case Frame.Status s -> {
                statuses.add(s.state().wire());
                staleNow = s.state() == Frame.Status.State.STALE;
            }
            default -> {}
        }
        if (f.eid() != null) {
            lastEid = f.eid();
        }
    }

    synchronized List<Item> window() {
        return List.copyOf(window);
    }
}
