package dev.livequery.gateway.delivery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One connection's {@link Slot}s by the client's sub id (SSE's one subscription under the empty
 * name): what commands look up, what the watchdog and shutdown count and walk, and what the
 * connection's end releases.
 *
 * <p>Concurrency: any thread may look up, remove, count and walk, without a lock (a concurrent
 * map). {@link #add} and {@link #releaseAll} hold the map's monitor, the only lock here: {@code add}
 * makes a slot only while its connection is not closing, checked under that lock, and {@code
 * releaseAll} runs only once the connection is closing, so a slot made before the end is released
 * by it and none is made after. The slots are released outside the lock, since closing a
 * subscription may take the backend's locks.
 */
final class Slots {
    private final Outbound owner;
    /** Sized for the usual one or two subscriptions: a default table is 80 B per connection, this 32. */
    private final Map<String, Slot> byName = new ConcurrentHashMap<>(2);

    Slots(Outbound owner) {
        this.owner = owner;
    }

    /** A new slot named {@code name} (null for SSE), or null when the connection is closing. */
    Slot add(String name) {
        synchronized (byName) {
            if (owner.closed()) {
                return null;
            }
            Slot s = new Slot(owner, name);
            byName.put(name == null ? "" : name, s);
            return s;
        }
    }

    Slot find(String name) {
        return byName.get(name);
    }

    Slot remove(String name) {
        return byName.remove(name);
    }

    int size() {
        return byName.size();
    }

    Collection<Slot> all() {
        return byName.values();
    }

    /** Frames the backend holds queued for these slots' subscriptions. */
    int queued() {
        int n = 0;
        for (Slot s : byName.values()) {
            var sub = s.subscription();
            if (sub != null) {
                n += sub.queued();
            }
        }
        return n;
    }

    /** The connection's end (it is closing by now): empties the map and releases what it held. */
    void releaseAll() {
        List<Slot> held;
        synchronized (byName) {
            held = new ArrayList<>(byName.values());
            byName.clear();
        }
        for (Slot s : held) {
            s.release();
        }
    }
}
