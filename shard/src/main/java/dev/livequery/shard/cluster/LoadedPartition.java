package dev.livequery.shard.cluster;

import dev.livequery.core.Engine;
import dev.livequery.redis.store.RowStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A partition this shard has loaded: its engine and how far the change tail has fed it. Made by
 * {@link PartitionLoader}, fed by {@link ChangeTail}; the shard keeps the loaded ones in a map,
 * and a part that is no longer in that map (unloaded, reloaded) is left alone by everyone.
 */
final class LoadedPartition {
    final int p;
    final Engine engine;
    /** The partition's history generation the engine was built at. */
    final long gen;

    /**
     * The last change-stream entry the tail took (applied to the engine) and how many entries the
     * stream had been given up to it (-1: unknown), as one value: counted from the load's
     * position, one per entry taken, so a count below the stream's own
     * ({@link dev.livequery.redis.store.RowStore#streamState}) means entries were trimmed before
     * the tail read them (tail thread writes).
     */
    record Read(String id, long index) {}

    volatile Read read;
    /** The changes read so far of a write whose last change is still to come (tail thread only). */
    final List<RowStore.Change> group = new ArrayList<>();
    /** The engine refused a change of the stream: the tail feeds it no more (tail thread sets). */
    volatile boolean rejected;
    /** A lost write was found here and a new epoch started (main thread only). */
    boolean regressed;
    /**
     * Tables this shard does not serve (outside {@code livequery.tables.allow}, or under a name the
     * engine refuses) whose changes the tail skips, already logged: those the loader left out, then
     * the tail's (tail thread only once the partition is loaded).
     */
    final Set<String> outside;

    LoadedPartition(int p, Engine engine, long gen, String lastId, long added, Set<String> outside) {
        this.p = p;
        this.engine = engine;
        this.gen = gen;
        this.read = new Read(lastId, added);
        this.outside = new HashSet<>(outside);
    }
}
