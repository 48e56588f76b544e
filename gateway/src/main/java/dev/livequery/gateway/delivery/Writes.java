package dev.livequery.gateway.delivery;

import dev.livequery.core.Frame;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a connection's writer writes, one pass at a time: a due pong or keep-alive, the queued
 * replies, then each ready {@link Slot}'s frames, up to {@link #TURN} per slot so that one busy
 * subscription cannot starve the others, and one flush. Anyone may queue work here (it never
 * blocks); only {@link Outbound}'s writer calls {@link #pass}, which stops as soon as the
 * connection starts closing.
 */
final class Writes {
    /** Frames taken from one subscription per turn: enough to batch, small enough to be fair. */
    static final int TURN = 64;
    /** Replies waiting for a client that sends commands but does not read. */
    static final int MAX_REPLIES = 1024;
    /**
     * Characters of replies waiting (about bytes: replies are JSON, nearly all ASCII). The count
     * alone let 1,024 long replies pin tens of MB per connection that does not read.
     */
    static final int MAX_REPLY_CHARS = 256 * 1024;

    private final Outbound owner;
    private final Connections connections;
    private final Transport transport;
    /** Slots with frames: an intrusive stack (through {@link Slot#nextReady}), taken whole per pass. */
    private final AtomicReference<Slot> ready = new AtomicReference<>();

    private final ConcurrentLinkedQueue<String> replies = new ConcurrentLinkedQueue<>();
    private final AtomicInteger replyCount = new AtomicInteger();
    private final AtomicInteger replyChars = new AtomicInteger();
    private volatile boolean pongDue;
    private volatile boolean keepAliveDue;
    /** Written by the writer only. */
    private long framesSent;

    Writes(Outbound owner, Connections connections, Transport transport) {
        this.owner = owner;
        this.connections = connections;
        this.transport = transport;
    }

    /**
     * Queues a reply; false when {@link #MAX_REPLIES} or {@link #MAX_REPLY_CHARS} would be waiting
     * (the client does not read). A refused reply is not counted back: the connection is closing.
     */
    boolean reply(String json) {
        if (replyCount.incrementAndGet() > MAX_REPLIES || replyChars.addAndGet(json.length()) > MAX_REPLY_CHARS) {
            return false;
        }
        replies.add(json);
        return true;
    }

    void pongDue() {
        pongDue = true;
    }

    void keepAliveDue() {
        keepAliveDue = true;
    }

    /** Pushes a slot with frames; called once per wakeup (the slot's scheduled flag guards it). */
    void ready(Slot s) {
        Slot head;
        do {
            head = ready.get();
            s.nextReady = head;
        } while (!ready.compareAndSet(head, s));
    }

    /** Something to write. */
    boolean hasWork() {
        return ready.get() != null || !replies.isEmpty() || pongDue || keepAliveDue;
    }

    long framesSent() {
        return framesSent;
    }

    /** One pass over everything queued, then one flush; true if anything was written. */
    boolean pass(List<Frame> batch) throws IOException {
        boolean wrote = false;
        if (pongDue) {
            pongDue = false;
            transport.pong();
            wrote = true;
        }
        if (keepAliveDue) {
            keepAliveDue = false;
            transport.keepAlive();
            wrote = true;
        }
        String r;
        while ((r = replies.poll()) != null) {
            replyCount.decrementAndGet();
            replyChars.addAndGet(-r.length());
            write(r);
            wrote = true;
        }
        Slot s = reverse(ready.getAndSet(null));
        while (s != null && !owner.closed()) {
            Slot next = s.nextReady;
            s.nextReady = null;
            wrote |= turn(s, batch);
            s = next;
        }
        // A connection that started closing during the pass sends its close frame next, not
        // the rest of what it buffered (the client resumes by its last eid).
        if (wrote && !owner.closed()) {
            transport.flush();
        }
        return wrote;
    }

    /** The ready stack in the order the slots became ready. */
    private static Slot reverse(Slot s) {
        Slot out = null;
        while (s != null) {
            Slot next = s.nextReady;
            s.nextReady = out;
            out = s;
            s = next;
        }
        return out;
    }

    /** One subscription's turn: drain up to TURN frames (a reset snapshot comes whole), write them. */
    private boolean turn(Slot s, List<Frame> batch) throws IOException {
        s.scheduled.set(false);
        var sub = s.subscription();
        boolean wrote = false;
        if (sub != null) {
            int n = sub.drain(batch, TURN);
            try {
                for (int i = 0; i < batch.size() && !owner.closed(); i++) {
                    Frame f = batch.get(i);
                    int bytes = transport.write(f, s.subMember);
                    framesSent++;
                    connections.metrics().sent(transport.kind(), f, bytes);
                }
                if (n > 0) {
                    // the oldest frame of the batch: from the engine making it to the writer taking it
                    connections.metrics().lag(System.nanoTime() - batch.get(0).createdNanos());
                    wrote = true;
                }
            } finally {
                batch.clear(); // a kept batch kept its frames (and their rows) alive
            }
            // The backend wakes us only when a queue goes from empty to non-empty; a full turn
            // may have left frames behind.
            if (n >= TURN) {
                s.signal();
            }
        }
        String last = s.last.getAndSet(null);
        if (last != null && !owner.closed()) {
            write(last);
            wrote = true;
        }
        return wrote;
    }

    private void write(String json) throws IOException {
        transport.write(json);
        framesSent++;
        connections.metrics().sent(transport.kind(), null, json.length());
    }
}
