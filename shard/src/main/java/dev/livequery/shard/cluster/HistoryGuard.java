package dev.livequery.shard.cluster;

import dev.livequery.redis.store.RowStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Keeps loaded engines from splicing against lost writes. Change numbers are reused when Redis
 * loses acknowledged writes (restarted from an older snapshot, an async replica promoted), so an
 * engine built before the loss must not answer a resume token again. Three checks, each
 * level-triggered:
 * <ul>
 * <li>the dataset epoch in Redis changed (another shard found lost writes, or the data is new):
 *     every partition is unloaded (lease thread);</li>
 * <li>a partition's history generation changed (the node serving it restarted without keeping
 *     every write, or was replaced by a replica): that partition is reloaded, and its engines'
 *     epoch, which mixes in the generation ({@link #epochOf}), is new (lease thread);</li>
 * <li>a change stream went backwards (its end before what the tail read, or a new entry with an
 *     old version): a new dataset epoch is started ({@link #lostWrites}, main thread).</li>
 * </ul>
 * Subscribers of an unloaded partition are told "gone", re-attach and get {@code reset epoch}.
 */
final class HistoryGuard {
    private static final Logger LOG = Logger.getLogger(HistoryGuard.class.getName());

    /** Unloads a partition; runs on the main thread. */
    interface Unload {
        void unload(int p, String why);
    }

    private final String shardId;
    private final RowStore store;
    private final Map<Integer, LoadedPartition> loaded;
    private final Supplier<List<Integer>> owned;
    private final Executor main;
    private final Unload unload;

    private volatile int epoch;
    /** Last value read; a restart of Redis that keeps every acknowledged write keeps the generation. */
    private volatile boolean durableRestarts;

    HistoryGuard(
            String shardId,
            RowStore store,
            Map<Integer, LoadedPartition> loaded,
            Supplier<List<Integer>> owned,
            Executor main,
            Unload unload) {
        this.shardId = shardId;
        this.store = store;
        this.loaded = loaded;
        this.owned = owned;
        this.main = main;
        this.unload = unload;
    }

    /** At start, before anything is loaded: the dataset epoch and durability as Redis has them now. */
    void init(int datasetEpoch) {
        epoch = datasetEpoch;
        durableRestarts = store.durableRestarts();
    }

    int epoch() {
        return epoch;
    }

    boolean durableRestarts() {
        return durableRestarts;
    }

    /** The engines' epoch for a partition: the dataset's epoch, mixed with the partition's generation. */
    static int epochOf(int datasetEpoch, long gen) {
        if (gen == 0) {
            return datasetEpoch;
        }
        long h = datasetEpoch * 0x9E3779B97F4A7C15L ^ gen * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31;
        return (int) (h & Integer.MAX_VALUE);
    }

    /** On the lease thread: has the dataset epoch changed? */
    void checkEpoch() {
        int e = store.epoch();
        if (e != epoch) {
            epochChanged(e, "Redis lost its data or a shard found lost writes");
        }
    }

    /**
     * Records which Redis node serves each owned partition and unloads any loaded partition whose
     * history generation changed (Redis restarted without keeping every write, or a replica was
     * promoted): its engine's change numbers may be reused for other changes now, so its
     * subscribers re-attach and get {@code reset epoch} from an engine of the new generation. On
     * the lease thread, after the leases were renewed.
     */
    void checkGenerations() {
        durableRestarts = store.durableRestarts();
        List<Integer> ps = new ArrayList<>(owned.get());
        if (ps.isEmpty()) {
            return;
        }
        List<Long> gens = store.generations(ps, durableRestarts);
        for (int i = 0; i < ps.size(); i++) {
            int p = ps.get(i);
            long g = gens.get(i);
            LoadedPartition pt = loaded.get(p);
            if (pt != null && pt.gen != g) {
                LOG.warning(() -> "shard " + shardId + ": the Redis node serving partition " + p + " changed in a way"
                        + " that may have lost acknowledged writes (generation " + pt.gen + " -> " + g
                        + "); reloading it,"
                        + " its subscribers get reset epoch");
                main.execute(() -> {
                    if (loaded.get(p) == pt) {
                        unload.unload(p, "history generation changed");
                    }
                });
            }
        }
    }

    /**
     * A new history epoch: every engine is of the old one, so unload them all (subscribers
     * re-attach and get reset epoch). Leases stay: ownership did not change.
     */
    private synchronized void epochChanged(int e, String why) {
        if (e == epoch) {
            return;
        }
        int old = epoch;
        epoch = e;
        LOG.warning(() -> "shard " + shardId + ": history epoch changed " + old + " -> " + e + " (" + why
                + "); unloading every partition, subscribers get reset epoch");
        main.execute(() -> {
            for (Integer p : List.copyOf(loaded.keySet())) {
                unload.unload(p, "epoch changed");
            }
        });
    }

    /**
     * On the main thread: has any loaded partition's stream gone back before what the tail read,
     * or lost entries the tail had not read yet? The second: the hard cap and the byte bound of
     * the writers' trim take the oldest entries whatever their age, so a tail lagging by more
     * than either finds entries gone; when they held the last changes of a table (the others'
     * versions going on without a gap), nothing else would reveal it, and that table's windows
     * would miss them while told live. Such a partition is reloaded.
     */
    void checkRegression() {
        for (LoadedPartition pt : List.copyOf(loaded.values())) {
            // Read our position before the stream's end: the tail advances concurrently, and an end
            // read first could be overtaken by entries appended (and read by us) in between.
            LoadedPartition.Read seen = pt.read;
            RowStore.StreamState now = store.streamState(pt.p, seen.id());
            if (RowStore.compareIds(now.lastId(), seen.id()) < 0) {
                lostWrites(pt, "its stream ends at " + now.lastId() + " but this shard read up to " + seen.id());
                return;
            }
            if (seen.index() >= 0 && now.readIndex() > seen.index() && loaded.get(pt.p) == pt) {
                long missed = now.readIndex() - seen.index();
                LOG.warning(() -> "shard " + shardId + ": " + missed + " entries of the change stream of partition "
                        + pt.p + " up to " + seen.id() + " were trimmed before this shard read them (it lagged"
                        + " by more than the writers' hard cap or byte bound); reloading the partition, its"
                        + " subscribers re-attach");
                unload.unload(pt.p, "reload");
            }
        }
    }

    /**
     * On the main thread. Redis went back in time (lost acknowledged writes): the change numbers
     * will be reused for other changes, so no token naming them may resolve again. Start a new
     * epoch; every shard then drops its partitions and subscribers get {@code reset epoch}.
     */
    void lostWrites(LoadedPartition pt, String evidence) {
        // The tail may report one loss several times before the unload lands: one new epoch per loss.
        if (loaded.get(pt.p) != pt || pt.regressed) {
            return;
        }
        pt.regressed = true;
        try {
            int old = epoch;
            int next = store.newEpoch(old);
            LOG.severe(() -> "shard " + shardId + ": Redis lost acknowledged writes in partition " + pt.p + " ("
                    + evidence + "; check its AOF fsync policy and restarts). Starting history epoch " + next
                    + " (was " + old + "): subscribers get reset epoch");
            epochChanged(next, "lost writes");
        } catch (RuntimeException e) {
            LOG.warning(() -> "shard " + shardId + ": could not start a new epoch: " + e.getMessage());
        }
    }
}
