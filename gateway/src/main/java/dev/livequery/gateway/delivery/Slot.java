package dev.livequery.gateway.delivery;

import dev.livequery.core.Frame;
import dev.livequery.core.Subscription;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One subscription as the connection's writer sees it. The backend's wakeup lands in
 * {@link #signal()}: it may run under engine locks, so it only flips a flag, enqueues this slot
 * and unparks the writer, never anything that could block.
 */
public final class Slot {
    final Outbound owner;
    /** The client's subscription id; null on SSE, whose frames carry no {@code sub}. */
    final String name;
    /** {@code ,"sub":"<name>"}, spliced into every frame of this subscription; null on SSE. */
    final byte[] subMember;
    private volatile Subscription subscription;
    final AtomicBoolean scheduled = new AtomicBoolean();
    /** Next in the owner's ready stack; only touched while {@link #scheduled} is set. */
    Slot nextReady;
    final AtomicReference<String> last = new AtomicReference<>();

    Slot(Outbound owner, String name) {
        this.owner = owner;
        this.name = name;
        this.subMember = name == null ? null : Frame.subMember(name);
    }

    /** The wakeup to hand to {@code Backend.subscribe}. */
    public Runnable wakeup() {
        return this::signal;
    }

    /** Attaches the backend's subscription; frames it queued before this are picked up now. */
    public void attach(Subscription s) {
        subscription = s;
        signal();
    }

    public Subscription subscription() {
        return subscription;
    }

    void signal() {
        if (scheduled.compareAndSet(false, true)) {
            owner.ready(this);
        }
    }

    /**
     * Ends the subscription: the backend drops what is queued, and the writer sends {@code closedJson}
     * as the subscription's last frame.
     */
    public void end(String closedJson) {
        Subscription s = subscription;
        if (s != null) {
            s.close();
        }
        last.set(closedJson);
        signal();
    }
}
