package dev.livequery.gateway.delivery;

import dev.livequery.core.FrameCodec;
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
    /** The connection ended and released this slot: a subscription attached later is closed at once. */
    private boolean released;

    final AtomicBoolean scheduled = new AtomicBoolean();
    /** Next in the owner's ready stack; only touched while {@link #scheduled} is set. */
    Slot nextReady;

    final AtomicReference<String> last = new AtomicReference<>();

    Slot(Outbound owner, String name) {
        this.owner = owner;
        this.name = name;
        this.subMember = name == null ? null : FrameCodec.subMember(name);
    }

    /** The wakeup to hand to {@code Backend.subscribe}. */
    public Runnable wakeup() {
        return this::signal;
    }

    /**
     * Attaches the backend's subscription; frames it queued before this are picked up now. Returns
     * false, having closed {@code s}, when the connection ended while the subscription was made.
     */
    public boolean attach(Subscription s) {
        synchronized (this) {
            if (released) {
                s.close();
                return false;
            }
            subscription = s;
        }
        signal();
        return true;
    }

    /** The connection's end: closes the subscription, now or when it is attached. Idempotent. */
    void release() {
        Subscription s;
        synchronized (this) {
            released = true;
            s = subscription;
        }
        if (s != null) {
            s.close();
        }
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
