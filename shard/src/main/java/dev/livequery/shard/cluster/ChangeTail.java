package dev.livequery.shard.cluster;

import dev.livequery.core.Engine;
import dev.livequery.core.LiveQueryException;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.UnblockType;
import io.lettuce.core.XReadArgs;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * Feeds loaded partitions from their change streams, on a thread of its own. On a standalone
 * Redis one {@code XREAD BLOCK} covers every loaded partition, so a change is picked up as soon as
 * it is appended (no polling delay). The set of streams is fixed while the read blocks: a
 * partition loaded meanwhile ({@link #added}) bumps a version, and the main thread cuts the read
 * short with {@code CLIENT UNBLOCK} until this thread has seen the new set. On a Redis Cluster one
 * read cannot span slots, so it polls, one non-blocking read per partition, all pipelined and
 * each failing alone ({@link ClusterPoll}): a node that is down stalls only its own partitions.
 *
 * <p>It never unloads anything itself: what it finds wrong (a version going backwards, a gap, a
 * stream it cannot read, a change the engine refuses) it reports to {@link Events}, and the shard
 * acts on its main thread.
 *
 * <p>A change the engine refuses (a row written past the gateways' checks, say by an older or
 * other writer) is never stepped over: its partition would then serve a state the stream does not
 * hold, and if it was the table's last write no later change would reveal the gap. The tail stops
 * feeding that partition where it is and reports it; the shard reloads it from Redis
 * ({@link PartitionLoader} serves the stored rows as they are), so its windows are re-attached and
 * spliced or reset to what Redis holds. The one exception is a table outside
 * {@code livequery.tables.allow}: no window on this shard can watch it, so its changes are skipped.
 */
final class ChangeTail {
    private static final Logger LOG = Logger.getLogger(ChangeTail.class.getName());
    private static final int BLOCK_MS = 500;
    /** A partition whose stream reads fail this long on end (Cluster: its node is down) is reported. */
    static final long UNREADABLE_NANOS = 500_000_000L;

    /** What the tail found wrong with a loaded partition; called on the tail thread, must not block. */
    interface Events {
        /** A new entry carries a version already applied: Redis lost acknowledged writes. */
        void lostWrites(LoadedPartition pt, String evidence);

        /** Versions skip (the stream was trimmed past us or writes were lost): reload it. */
        void gap(LoadedPartition pt);

        /** Its stream has been unreadable for over {@link #UNREADABLE_NANOS} (Cluster node down). */
        void unreadable(LoadedPartition pt);

        /**
         * The engine refused a change of one of the partition's served tables: it is behind its
         * stream and the tail stopped feeding it (already logged SEVERE with what was refused).
         */
        void rejected(LoadedPartition pt);
    }

    private final String shardId;
    private final Redis redis;
    private final Map<Integer, LoadedPartition> loaded;
    private final ScheduledExecutorService main;
    private final Events events;
    private final Timer lag;
    /** Bumped on every partition load; the tail notes the value it read its set of partitions at. */
    private final AtomicLong version = new AtomicLong();

    private volatile long seen = -1;
    /** The tail thread, once running: {@link #added} wakes it when it waits with nothing loaded. */
    private volatile Thread thread;
    /** How long the tail waits, with nothing loaded, before it looks again (added() wakes it sooner). */
    private static final long IDLE_NANOS = 500_000_000L;
    /** CLIENT ID of the tail's connection (standalone only), -1 when unknown. */
    private volatile long clientId = -1;

    private final BooleanSupplier running;

    ChangeTail(
            String shardId,
            Redis redis,
            Map<Integer, LoadedPartition> loaded,
            ScheduledExecutorService main,
            BooleanSupplier running,
            Events events,
            Timer lag) {
        this.shardId = shardId;
        this.running = running;
        this.redis = redis;
        this.loaded = loaded;
        this.main = main;
        this.events = events;
        this.lag = lag;
    }

    /**
     * On the main thread after a partition was put in the loaded map: make the tail start reading
     * its stream now, not when its current blocking read times out.
     */
    void added() {
        version.incrementAndGet();
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
        kick();
    }

    /**
     * Repeats until the tail has taken the new set of partitions, because an unblock sent just
     * before the tail blocks would be lost.
     */
    private void kick() {
        if (!running.getAsBoolean() || redis.cluster() || seen >= version.get()) {
            return;
        }
        long id = clientId;
        if (id >= 0) {
            try {
                redis.cmd().clientUnblock(id, UnblockType.TIMEOUT);
            } catch (RuntimeException e) {
                // Redis unreachable: the tail's read fails too and it re-reads the set of partitions
            }
        }
        main.schedule(this::kick, 2, TimeUnit.MILLISECONDS);
    }

    /** The tail thread's loop, while the shard runs. */
    void run() {
        thread = Thread.currentThread();
        boolean block = !redis.cluster();
        var conn = block ? redis.dedicated() : null;
        var async = block ? null : redis.dedicatedAsync();
        Map<Integer, Long> unreadableSince = new HashMap<>();
        while (running.getAsBoolean()) {
            boolean any = false;
            boolean failed = false;
            boolean got = false;
            long v = version.get();
            List<LoadedPartition> parts = List.copyOf(loaded.values());
            try {
                if (block && clientId < 0) {
                    clientId = conn.clientId();
                }
                seen = v;
                if (!parts.isEmpty()) {
                    if (block) {
                        List<XReadArgs.StreamOffset<String>> offs = new ArrayList<>(parts.size());
                        Map<String, LoadedPartition> byKey = new HashMap<>();
                        for (LoadedPartition pt : parts) {
                            offs.add(XReadArgs.StreamOffset.from(Keys.changes(pt.p), pt.read.id()));
                            byKey.put(Keys.changes(pt.p), pt);
                        }
                        // BLOCK stays well under the 2 s command timeout.
                        for (var m :
                                conn.xread(XReadArgs.Builder.block(BLOCK_MS).count(1000), Redis.offsets(offs))) {
                            got = true;
                            any |= apply(byKey.get(m.getStream()), m);
                        }
                    } else {
                        List<String> keys = new ArrayList<>(parts.size());
                        List<String> from = new ArrayList<>(parts.size());
                        for (LoadedPartition pt : parts) {
                            keys.add(Keys.changes(pt.p));
                            from.add(pt.read.id());
                        }
                        ClusterPoll.Result r =
                                ClusterPoll.round(async, keys, from, redis.timeout(), (i, m) -> apply(parts.get(i), m));
                        any = r.any();
                        unreadable(parts, r.failed(), unreadableSince);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                failed = true;
                clientId = -1; // a reconnect gives the connection a new client id
                if (running.getAsBoolean()) {
                    LOG.fine(() -> "tail read failed: " + e.getMessage());
                    LockSupport.parkNanos(200_000_000L);
                }
            }
            if (parts.isEmpty() && !failed) {
                // Nothing loaded (most shards, most of the time): wait for added(), which unparks
                // this thread, instead of looking 200 times a second. Checked again first, since
                // a partition loaded after the copy above has already unparked us.
                if (version.get() == v) {
                    LockSupport.parkNanos(IDLE_NANOS);
                }
            } else if (!any && !failed && (!block || got)) {
                // Polling (Cluster), or entries we could not apply (the main thread is about to
                // reload or drop their partition): do not spin.
                LockSupport.parkNanos(5_000_000L);
            }
        }
    }

    /**
     * On a Redis Cluster, a partition whose stream has been unreadable for {@link #UNREADABLE_NANOS}
     * (its node down or paused) is reported, so the shard unloads it: its subscribers are told gone
     * and re-attach, which cannot succeed until the node is back, so their gateways tell them
     * {@code status stale} 3 s after their last good news. Without it the shard's ticks (it is
     * alive, other partitions flow) kept the gateways quiet while those windows fell behind.
     */
    private void unreadable(List<LoadedPartition> parts, Set<Integer> failed, Map<Integer, Long> since) {
        long now = System.nanoTime();
        for (int i = 0; i < parts.size(); i++) {
            LoadedPartition pt = parts.get(i);
            if (!failed.contains(i)) {
                since.remove(pt.p);
                continue;
            }
            long first = since.computeIfAbsent(pt.p, x -> now);
            if (now - first > UNREADABLE_NANOS) {
                since.remove(pt.p);
                LOG.warning(() -> "shard " + shardId + ": the change stream of partition " + pt.p + " has been"
                        + " unreadable for " + (now - first) / 1_000_000 + " ms (its Redis node down?); unloading it,"
                        + " its subscribers re-attach and are told stale until it can be read");
                events.unreadable(pt);
            }
        }
        since.keySet().retainAll(parts.stream().map(pt -> pt.p).toList());
    }

    private boolean apply(LoadedPartition pt, StreamMessage<String, String> m) {
        if (pt == null || loaded.get(pt.p) != pt || pt.rejected) {
            return false; // dropped meanwhile, or about to be reloaded
        }
        RowStore.Change c = RowStore.forward(m);
        try {
            // within a write, its changes follow each other
            long last = pt.group.isEmpty()
                    ? pt.engine.lastChange(c.table())
                    : pt.group.get(pt.group.size() - 1).version();
            if (c.version() <= last) {
                // A new stream entry with an old version: Redis lost writes we had already seen.
                events.lostWrites(
                        pt,
                        "entry " + m.getId() + " of " + c.table() + " has version " + c.version()
                                + " but this shard already applied " + last);
                return false;
            }
            if (c.version() > last + 1) {
                // The stream was trimmed past us or Redis lost writes: reload from scratch.
                LOG.warning(() -> "shard " + shardId + ": gap in " + c.table() + " (have " + last + ", got "
                        + c.version() + "); reloading partition " + pt.p);
                events.gap(pt);
                return false;
            }
            if (c.rest() > 0 || !pt.group.isEmpty()) {
                // A write of several changes (a batch, a source transaction's share of a table) is
                // applied as one step: no subscriber sees part of it.
                pt.group.add(c);
                if (c.rest() == 0) {
                    List<Engine.Change> changes = new ArrayList<>(pt.group.size());
                    for (RowStore.Change g : pt.group) {
                        changes.add(
                                g.after() == null
                                        ? Engine.Change.delete(g.id())
                                        : Engine.Change.upsert(g.id(), g.after()));
                    }
                    long first = pt.group.get(0).version();
                    pt.group.clear();
                    pt.engine.ingestAtomically(c.table(), first, changes);
                }
            } else {
                pt.engine.ingest(c.table(), c.id(), c.after(), c.version());
            }
        } catch (LiveQueryException e) {
            pt.group.clear();
            boolean served = e.code() != LiveQueryException.Code.UNKNOWN_TABLE && PartitionLoader.validName(c.table());
            if (served) {
                // Not stepped over: the engine would serve a state the stream does not hold.
                pt.rejected = true;
                LOG.severe(() -> "shard " + shardId + ": the engine refused change " + m.getId() + " of partition "
                        + pt.p + " (table " + c.table() + ", row " + c.id() + ", version " + c.version() + "): "
                        + e.getMessage() + "; reloading the partition from Redis, its windows re-attach");
                events.rejected(pt);
                return false;
            }
            // A table this shard does not serve (outside the allow list, or a name the engine
            // refuses): no window here can show it. Said once per table and load (the loader said
            // it of those it left out), not at every write of it. Not a reload: the reload would
            // leave it out too, and each write of it would reload the whole partition.
            if (pt.outside.add(c.table())) {
                LOG.warning(() -> "shard " + shardId + ": skipping the changes of table " + c.table() + " in partition "
                        + pt.p + " from " + m.getId() + " on: " + e.getMessage()
                        + (e.code() == LiveQueryException.Code.UNKNOWN_TABLE ? " (shard option --tables)" : ""));
            }
        }
        long index = pt.read.index();
        pt.read = new LoadedPartition.Read(m.getId(), index < 0 ? -1 : index + 1);
        long ms = Long.parseLong(m.getId().substring(0, m.getId().indexOf('-')));
        lag.record(Math.max(0, System.currentTimeMillis() - ms), TimeUnit.MILLISECONDS);
        return true;
    }
}
