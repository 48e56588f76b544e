package dev.livequery.sources.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.redis.cluster.SourceLease;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.redis.store.SourceWrites;
import dev.livequery.redis.store.SourceWrites.Fenced;
import dev.livequery.redis.store.SourceWrites.Position;
import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Cluster mode: every gateway configured with the source runs one of these; the one holding the
 * source's lease ({@link SourceLease}, renewed every third of its TTL) streams it, the others
 * stand by and take the lease when it expires (the holder died) or is released (it stopped).
 *
 * <p>Taking over: claim every fed table's position with the new fence (from then on the old
 * holder can write nothing), resume Debezium from the lowest stored position, its offsets seeded
 * into {@link HeldOffsets}, and let {@link RedisApplier} skip whatever part of a replayed
 * transaction is there already. No stored position for some table: first start, so the slot is
 * dropped and the source snapshots. Losing the lease (renewal refused, or not renewed for a TTL
 * while Redis was unreachable), a refused write, or a failed engine stops streaming; the lease is
 * then released and taken again by whoever comes first.
 *
 * <p>Threads: the lease thread renews and decides; the starter starts and stops streaming (both
 * block); the engine's thread tells of a write the fence refused ({@link #fenced}). The role
 * ({@code held}) is dropped by whichever of them learns first that it is gone, through
 * {@link #drop}, so that it is dropped, said and stopped once.
 */
public final class ClusterSource implements SourceStatus {
    private static final Logger LOG = Logger.getLogger(ClusterSource.class.getName());
    /** The source lease's TTL: the shards' default (a dead holder is replaced within about this long). */
    static final Duration TTL = Duration.ofSeconds(3);

    private final PostgresSourceConfig config;
    private final Redis redis;
    private final SourceLease lease;
    private final SourceWrites writes;
    private final String holder;
    private final long ttlMs;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "livequery-source-lease");
        t.setDaemon(true);
        return t;
    });
    /** Starts and stops streaming, which block (slot waits, engine shutdown): never on the lease thread. */
    private final ExecutorService starter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "livequery-source-start");
        t.setDaemon(true);
        return t;
    });

    private final AtomicLong takeovers = new AtomicLong();
    /** Snapshots taken because the slot had lost the stored positions' changes. */
    private final AtomicLong resnapshots = new AtomicLong();

    private volatile String held;
    private volatile long renewedAt;
    private volatile PostgresSource running;
    private volatile String error;
    private volatile long retryAt;
    private int failures;
    private volatile boolean closed;

    private ClusterSource(PostgresSourceConfig config, Redis redis, RowStore rows, String holder, long ttlMs) {
        this.config = config;
        this.redis = redis;
        this.lease = new SourceLease(redis, config.slot());
        this.writes = new SourceWrites(redis, rows, config.slot());
        this.holder = holder;
        this.ttlMs = ttlMs;
    }

    /**
     * The gateway's hook in cluster mode: null when {@code node} ({@code livequery.sources.postgres})
     * configures no source; else checks the tables (not the slot, which another gateway may be
     * streaming) and starts competing for the lease as {@code holder}.
     */
    public static ClusterSource attach(
            io.helidon.config.Config node, String redisUri, EngineOptions options, String holder)
            throws SourceException {
        return attach(node, redisUri, options, holder, TTL);
    }

    /** {@link #attach(io.helidon.config.Config, String, EngineOptions, String)} with the lease's TTL: for tests. */
    static ClusterSource attach(
            io.helidon.config.Config node, String redisUri, EngineOptions options, String holder, Duration ttl)
            throws SourceException {
        PostgresSourceConfig config = PostgresSourceConfig.from(node);
        if (config == null) {
            return null;
        }
        Catalog.check(config, Catalog.Slot.IGNORE);
        Redis redis = Redis.connect(redisUri, Duration.ofSeconds(2));
        ClusterSource s = new ClusterSource(config, redis, new RowStore(redis, options), holder, ttl.toMillis());
        s.timer.scheduleWithFixedDelay(s::tick, 0, s.ttlMs / 3, TimeUnit.MILLISECONDS);
        return s;
    }

    private void tick() {
        String was = held;
        try {
            if (was == null && System.currentTimeMillis() < retryAt) {
                return;
            }
            String now = lease.renew(holder, ttlMs, was);
            if (now != null) {
                renewedAt = System.nanoTime();
            }
            if (was != null && now == null) {
                lost(was, "the source lease was taken or expired");
            } else if (was == null && now != null) {
                held = now;
                takeovers.incrementAndGet();
                starter.execute(() -> begin(now));
            } else if (now != null && running != null && running.state() == PostgresSource.State.FAILED) {
                giveUp(was, running.error());
            }
        } catch (RuntimeException e) {
            if (was != null && System.nanoTime() - renewedAt > TimeUnit.MILLISECONDS.toNanos(ttlMs)) {
                lost(was, "could not renew the source lease for " + ttlMs + " ms (" + e.getMessage() + ")");
            }
        }
    }

    /** Takes over as the holder of {@code value}: claims, seeds, streams. On the starter thread. */
    private void begin(String value) {
        if (!value.equals(held) || closed) {
            return;
        }
        long fence = SourceLease.fence(value);
        try {
            Map<String, Position> claimed = new HashMap<>();
            Position from = null;
            boolean fresh = false;
            for (TableMapping t : config.tables()) {
                Position p = writes.claim(t.table(), fence);
                if (p == null) {
                    fresh = true;
                    continue;
                }
                claimed.put(t.table(), p);
                if (from == null || p.lsn() < from.lsn() || p.lsn() == from.lsn() && offsetLsn(p) < offsetLsn(from)) {
                    from = p;
                }
            }
            String key = "pg-cluster-" + config.slot() + "-" + fence;
            if (!fresh) {
                // The slot gone or invalidated since (dropped, max_slot_wal_keep_size): the
                // changes after the stored positions are lost to it, and resuming would fail for
                // ever, each holder in turn. Start over as a first start does.
                String lost = ReplicationSlot.lost(config, lsnProc(from));
                if (lost != null) {
                    fresh = true;
                    resnapshots.incrementAndGet();
                    LOG.warning("postgres source: replication slot " + config.slot() + " " + lost
                            + ": the changes after LSN " + from.lsn() + " are lost to it; " + holder
                            + " snapshots the fed tables again (their rows are replaced as changes)");
                }
            }
            if (fresh) {
                claimed.clear();
                // The new slot's LSNs need not continue the stored ones (Postgres restored into a
                // new cluster, or a point-in-time restore: a new history, maybe lower LSNs), and a
                // snapshot or transaction at or below a stored LSN would be refused as applied,
                // leaving the tables frozen on the old data. So the snapshot is compared with
                // nothing: forget every table's position first (fenced; a successor finding none
                // snapshots too). The positions stored from then on are all the new slot's.
                for (TableMapping t : config.tables()) {
                    writes.reset(t.table(), fence);
                }
            } else {
                Map<String, Map<String, Object>> o = parse(from.offset());
                HeldOffsets.seed(key, EngineProperties.name(config), o.get("p"), o.get("o"));
            }
            RedisApplier applier = new RedisApplier(
                    writes, config.tables(), fence, claimed, () -> value.equals(held), f -> fenced(value, f));
            PostgresSource s =
                    PostgresSource.start(config, applier, fresh ? Catalog.Slot.SNAPSHOT : Catalog.Slot.RESUME, key);
            running = s;
            error = null;
            synchronized (this) {
                failures = 0;
            }
            LOG.info("postgres source: " + holder + " holds the source lease " + value + "; "
                    + (fresh
                            ? "snapshotting (stored positions forgotten: the snapshot replaces the fed tables)"
                            : "resuming after LSN " + from.lsn()));
            if (!value.equals(held)) {
                end();
            }
        } catch (Fenced e) {
            giveUp(value, e.getMessage());
        } catch (SourceException e) {
            giveUp(value, e.line());
        } catch (LiveQueryException | RuntimeException e) {
            giveUp(value, "could not take over: " + e.getMessage());
        }
    }

    /**
     * Stops streaming and releases lease {@code was}, so another process (or this one, later)
     * takes over; nothing if it was dropped already (whoever dropped it stops streaming).
     */
    private void giveUp(String was, String why) {
        if (!drop(was)) {
            return;
        }
        error = why;
        long delay;
        synchronized (this) {
            failures++;
            delay = Math.min(30_000L, 500L << Math.min(failures, 6));
        }
        retryAt = System.currentTimeMillis() + delay;
        LOG.warning("postgres source: " + holder + " stops streaming (" + why + "); lease released, next attempt in "
                + delay + " ms");
        starter.execute(() -> {
            end();
            try {
                lease.release(was);
            } catch (RuntimeException e) {
                // it expires anyway
            }
        });
    }

    /** Lease {@code was} is someone else's now: stops streaming; nothing if it was dropped already. */
    private void lost(String was, String why) {
        if (!drop(was)) {
            return;
        }
        LOG.warning("postgres source: " + holder + " " + why + "; stops streaming, another process takes over");
        starter.execute(this::end);
    }

    /**
     * Told by the applier, on the engine's thread, that Redis refused a write of lease {@code value}
     * because a newer holder claimed the table: the lease is gone for good (fences only grow),
     * whatever the last renewal answered. Left to the lease thread, this process would go on
     * saying owner (in {@code /health}, {@code source_owner}) until its next tick, up to a third
     * of the TTL, beside the holder that fenced it: a holder woken from a pause past its TTL may
     * even read, on waking, the answer to a renewal sent before it, and take it for news. So the
     * role is dropped here and now: {@link #drop} is a field write under this object's lock,
     * nothing that blocks, and whichever of this and the lease thread's {@link #lost} comes
     * second does nothing. Stopping the engine blocks and waits for this very thread, so it is
     * left to the starter, as {@link #lost} does; until it is done {@link #health} says stopping.
     */
    private void fenced(String value, Fenced e) {
        lost(
                value,
                "had a write refused (" + e.getMessage() + "): a newer holder claimed the fed tables, so its"
                        + " lease had lapsed (most likely this process was paused past the lease's TTL of " + ttlMs
                        + " ms: GC, a stopped process or VM; or it was cut off from Redis)");
    }

    /** Drops the role if it is still lease {@code value}: true for the one caller that did. */
    private synchronized boolean drop(String value) {
        if (value == null || !value.equals(held)) {
            return false;
        }
        held = null;
        return true;
    }

    private void end() {
        PostgresSource s = running;
        running = null;
        if (s != null) {
            s.close();
        }
    }

    private static Map<String, Map<String, Object>> parse(String offset) {
        try {
            return Json.MAPPER.readValue(offset, new TypeReference<>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored source position is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The position a resume from {@code p} asks the slot for (Debezium's lsn_proc), -1 if not stored. */
    private static long lsnProc(Position p) {
        Object lsn = parse(p.offset()).getOrDefault("o", Map.of()).get("lsn_proc");
        return lsn instanceof Number n ? n.longValue() : -1;
    }

    private static long offsetLsn(Position p) {
        Object lsn = parse(p.offset()).getOrDefault("o", Map.of()).get("lsn");
        return lsn instanceof Number n ? n.longValue() : Long.MAX_VALUE;
    }

    /** Whether this process streams the source now. */
    public boolean streaming() {
        PostgresSource s = running;
        return held != null && s != null && s.state() == PostgresSource.State.STREAMING;
    }

    @Override
    public PostgresSourceConfig config() {
        return config;
    }

    /** The data is in Redis: a standby serves it as well as the holder does. */
    @Override
    public boolean ready() {
        return true;
    }

    @Override
    public Map<String, Object> health() {
        PostgresSource s = running;
        boolean owner = held != null;
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("type", "postgres");
        h.put("mode", "cluster");
        h.put("role", owner ? "owner" : "standby");
        if (s != null) {
            Map<String, Object> inner = s.health();
            inner.remove("type");
            h.putAll(inner);
            if (!owner) {
                h.put("state", "stopping"); // the role is gone, the engine not yet stopped
            }
        } else {
            h.put("state", owner ? "starting" : "standby");
        }
        if (error != null && !h.containsKey("error")) {
            h.put("error", error);
        }
        return h;
    }

    @Override
    public Map<String, Long> gauges() {
        PostgresSource s = running;
        // The same keys whether streaming or not: the gateway registers the metrics it sees at start.
        Map<String, Long> g = new LinkedHashMap<>();
        for (String k : SourceCounters.GAUGES) {
            g.put(k, 0L);
        }
        if (s != null) {
            g.putAll(s.gauges());
        }
        g.put("source_streaming", streaming() ? 1L : 0L); // not while stopping: the role is gone
        g.put("source_owner", held != null ? 1L : 0L);
        g.put("source_takeovers", takeovers.get());
        g.put("source_slot_lost", resnapshots.get());
        return g;
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        String was = held;
        held = null;
        try {
            starter.submit(this::end).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "postgres source: stopping the engine", e);
        }
        starter.shutdownNow();
        if (was != null) {
            try {
                lease.release(was);
            } catch (RuntimeException e) {
                // it expires anyway
            }
        }
        redis.close();
    }
}
