package dev.livequery.core;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.LongSupplier;

/**
 * The embedded backend's memory of writes made under an idempotency key: what the cluster keeps
 * in Redis beside the rows ({@code RowStore}'s write script), kept here in the process.
 *
 * <p>Bounded two ways, as the resume history is: an entry is forgotten {@link
 * Idempotency#remember} after its write (the horizon's time, at least a minute, as in the
 * cluster, where the key has that TTL), and at most {@code cap} keys are kept (the history's
 * hard cap, {@code livequery.resume.max-changes}: every remembered key is at least one change
 * of history), the oldest evicted first. Entries are kept in insertion order, so expiry and
 * eviction both take from the head, and the cost per write is constant.
 *
 * <p>One key's writes are serialised (a retry that arrives while the first attempt still runs
 * waits for it and answers its result), as the cluster's script is atomic; different keys do not
 * wait for each other beyond the map's short lock.
 */
final class IdempotencyMemory {
    /** A write to run at most once per key. */
    @FunctionalInterface
    interface Write<T> {
        T run() throws LiveQueryException;
    }

    private static final class Entry {
        final String digest;
        final long bornNanos;
        boolean done;
        volatile boolean dropped;
        Object result;

        Entry(String digest, long bornNanos) {
            this.digest = digest;
            this.bornNanos = bornNanos;
        }
    }

    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
    private final long ttlNanos;
    private final int cap;
    private final LongSupplier clock;

    IdempotencyMemory(long ttlNanos, int cap, LongSupplier clock) {
        this.ttlNanos = ttlNanos;
        this.cap = cap;
        this.clock = clock;
    }

    IdempotencyMemory(EngineOptions o) {
        this(Idempotency.remember(o).toNanos(), o.maxHistory(), System::nanoTime);
    }

    /**
     * Runs {@code write} unless {@code key} already holds a result: then that result, or
     * IDEMPOTENCY_KEY_REUSED if it was remembered for another request ({@code digest}). A write
     * that throws is not remembered.
     */
    @SuppressWarnings("unchecked")
    <T> T run(String key, String digest, Write<T> write) throws LiveQueryException {
        while (true) {
            Entry e = entry(key, digest);
            if (!e.digest.equals(digest)) {
                throw Idempotency.reused();
            }
            synchronized (e) {
                if (e.done) {
                    return (T) e.result;
                }
                if (e.dropped) {
                    continue; // the attempt we waited for failed (or was evicted): ours runs afresh
                }
                T r;
                try {
                    r = write.run();
                } catch (LiveQueryException | RuntimeException x) {
                    drop(key, e);
                    throw x;
                }
                e.result = r;
                e.done = true;
                return r;
            }
        }
    }

    /** Keys remembered now (a gauge, and for tests). */
    synchronized int size() {
        return entries.size();
    }

    private synchronized Entry entry(String key, String digest) {
        long now = clock.getAsLong();
        // Expire from the head: entries are in insertion order, all with the same time to live.
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            Entry old = it.next();
            if (now - old.bornNanos < ttlNanos) {
                break;
            }
            it.remove();
            old.dropped = true;
        }
        Entry e = entries.get(key);
        if (e == null) {
            e = new Entry(digest, now);
            entries.put(key, e);
            if (entries.size() > cap) {
                Iterator<Entry> it = entries.values().iterator();
                it.next().dropped = true;
                it.remove();
            }
        }
        return e;
    }

    private synchronized void drop(String key, Entry e) {
        e.dropped = true;
        entries.remove(key, e);
    }
}
