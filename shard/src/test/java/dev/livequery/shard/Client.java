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
    String lastEid;
    boolean ready;
    int resumedReadies;

    Client(Subscription sub) {
        this.sub = sub;
    }

    /** Drains and applies what is queued; returns this for chaining in awaits. */
    synchronized Client poll() {
        List<Frame> fs = new ArrayList<>();
        sub.drain(fs, Integer.MAX_VALUE);
        for (Frame f : fs) {
            all.add(f);
            switch (f.op()) {
                case RESET -> {
                    window.clear();
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
                case STATUS -> statuses.add(f.cause());
                default -> {
                }
            }
            if (f.eid() != null) {
                lastEid = f.eid();
            }
        }
        return this;
    }

    synchronized List<Item> window() {
        return List.copyOf(window);
    }
}
