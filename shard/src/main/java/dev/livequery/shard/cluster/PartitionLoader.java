package dev.livequery.shard.cluster;

import dev.livequery.core.Engine;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.redis.store.RowStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * Builds the engine of a partition a shard starts serving: its rows and counters as of one stream
 * position (atomic, one script), then the history rebuilt from the retained stream entries'
 * before-images ({@link Rollback}), so resume tokens issued by the previous owner still resolve
 * here. The change tail continues from that position; duplicates are ignored by version. It only
 * reads: registering the result and starting its tail is the shard's. A table whose retained
 * changes the engine refuses to replay is served from its stored rows without history. A table
 * outside {@code livequery.tables.allow}, or whose name the engine refuses (written past the
 * gateways' checks), is left out (no window here may watch it, and the tail skips its changes),
 * with one WARNING per cause naming it and saying what to do: the partition's other tables load
 * and are served.
 */
final class PartitionLoader {
    private static final Logger LOG = Logger.getLogger(PartitionLoader.class.getName());
    private static final int PAGE = 1000;

    private final String shardId;
    private final RowStore store;
    private final EngineOptions options;

    PartitionLoader(String shardId, RowStore store, EngineOptions options) {
        this.shardId = shardId;
        this.store = store;
        this.options = options;
    }

    /**
     * @param datasetEpoch the dataset's history epoch now
     * @param durableRestarts whether a Redis restart keeps every acknowledged write (see {@link HistoryGuard})
     */
    LoadedPartition load(int p, int datasetEpoch, boolean durableRestarts) throws LiveQueryException {
        RowStore.Snapshot snap = store.snapshot(p);
        List<RowStore.Change> all = new ArrayList<>();
        String from = "0-0";
        while (true) {
            List<RowStore.Change> page = store.range(p, from, snap.lastId(), PAGE);
            if (page.isEmpty()) {
                break;
            }
            all.addAll(page);
            from = page.get(page.size() - 1).streamId();
        }
        long gen = store.generations(List.of(p), durableRestarts).get(0);
        Engine engine = new Engine(options, HistoryGuard.epochOf(datasetEpoch, gen));
        Map<String, List<RowStore.Change>> byTable = new HashMap<>();
        for (RowStore.Change c : all) {
            byTable.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(c);
        }
        Set<String> badNames = new TreeSet<>();
        Set<String> notAllowed = new TreeSet<>();
        for (RowStore.TableState ts : snap.tables()) {
            if (!serves(options, ts.table())) {
                // The engine would refuse it, and with it the whole partition.
                (validName(ts.table()) ? notAllowed : badNames).add(ts.table());
                continue;
            }
            Rollback.Plan plan = Rollback.of(ts, byTable.getOrDefault(ts.table(), List.of()));
            engine.restore(ts.table(), plan.rows(), plan.base(), "failover");
            try {
                for (RowStore.Change c : plan.replay()) {
                    engine.ingest(c.table(), c.id(), c.after(), c.version());
                }
            } catch (LiveQueryException e) {
                // A change the engine refuses (written past the gateways' checks): the history
                // cannot be rebuilt through it, so the table starts from its stored rows as they
                // are, without history (older tokens get reset failover), as past the horizon.
                LOG.severe(() -> "shard " + shardId + ": partition " + p + ", table " + ts.table() + ": a retained"
                        + " change was refused (" + e.getMessage() + "); serving its stored rows as of version "
                        + ts.seq() + " without history");
                engine.restore(ts.table(), ts.rows(), ts.seq(), "failover");
            }
        }
        leftOut(
                p,
                notAllowed,
                "outside livequery.tables.allow",
                "If clients should see them, give the shards and the gateways the same list (shard option --tables)");
        leftOut(
                p,
                badNames,
                "with a name the engine refuses (PROTOCOL §1)",
                "No gateway takes such a name: they were written past the gateways' checks, straight into the"
                        + " store, and are not served");
        Set<String> outside = new TreeSet<>(notAllowed);
        outside.addAll(badNames);
        int tables = snap.tables().size() - outside.size();
        int changes = all.size();
        LOG.info(() -> "shard " + shardId + ": loaded partition " + p + " (" + tables + " tables, history of " + changes
                + " changes) at stream id " + snap.lastId());
        return new LoadedPartition(p, engine, gen, snap.lastId(), snap.added(), outside);
    }

    /** One WARNING for the {@code tables} of partition {@code p} left out for one cause, with what to do about it. */
    private void leftOut(int p, Set<String> tables, String cause, String advice) {
        if (tables.isEmpty()) {
            return;
        }
        LOG.warning(() -> "shard " + shardId + ": partition " + p + " holds " + tables.size() + " table(s) " + cause
                + ", not loaded (no window on this shard can watch them; their changes are skipped): "
                + String.join(", ", tables.stream().limit(20).toList())
                + (tables.size() > 20 ? ", …" : "") + ". " + advice);
    }

    /**
     * Whether the engine serves {@code table}: a valid name (PROTOCOL §1) in {@code
     * livequery.tables.allow} (or any, when the list is empty). No window here can watch another.
     */
    static boolean serves(EngineOptions options, String table) {
        return validName(table) && options.allows(table);
    }

    /** Whether {@code table} is a name the engine takes (PROTOCOL §1). */
    static boolean validName(String table) {
        try {
            Query.table(table);
            return true;
        } catch (LiveQueryException e) {
            return false;
        }
    }
}
