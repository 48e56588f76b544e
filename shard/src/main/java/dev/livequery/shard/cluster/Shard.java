package dev.livequery.shard.cluster;

import dev.livequery.core.Engine;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Subscription;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import io.lettuce.core.RedisException;
import io.lettuce.core.StreamMessage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One shard: owns partitions by lease, keeps an engine per loaded partition fed from its change
 * stream, runs the subscriptions gateways attach to it, and publishes their frames (fenced).
 * It is the coordinator: it owns the threads, the map of loaded partitions and the map of hosted
 * attachments, and wires the parts that do one job each: {@link LeaseKeeper} (which leases it
 * holds), {@link HistoryGuard} (epochs and generations: no splice against lost writes),
 * {@link PartitionLoader} (an engine with the previous owner's history, by {@link Rollback}),
 * {@link ChangeTail} (feeds loaded engines), {@link ControlHandler} (what gateways ask of it),
 * {@link Publisher} (what it sends them) and {@link GatewayReaper} (what dead gateways leave).
 * Only the main thread loads and unloads partitions; the others report to it.
 *
 * <p>Threads: {@code lease} (heartbeat, membership, epoch, lease renewal — alone on its thread so
 * a long partition load can never delay a renewal past the TTL), {@code main} (one thread:
 * control messages, partition loads and unloads — serialising them keeps subscribes free of
 * races), {@code ctl} (blocking read of the control stream), {@code tail} (feeds loaded
 * partitions from their streams), {@code pub} (drains subscriptions and XADDs frames to gateways).
 */
public final class Shard implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Shard.class.getName());

    /** Settings; {@code ttlMs} is the heartbeat and lease TTL (renewed every sixth of it, see {@link #renewEvery}). */
    public record Config(String id, String redisUri, EngineOptions options, long ttlMs, int horizon) {}

    private final Config cfg;
    private final Redis redis;
    private final RowStore store;
    private final Membership members;
    private final ScheduledExecutorService main;
    private final ScheduledExecutorService leaseExec;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    /** The loaded partitions: put and removed on the main thread only, read by every part. */
    private final Map<Integer, LoadedPartition> loaded = new ConcurrentHashMap<>();
    /** The attachments gateways made here, by gateway/subscription id (main thread writes). */
    private final Map<String, Hosted> hosted = new ConcurrentHashMap<>();

    private final LeaseKeeper leases;
    private final HistoryGuard history;
    private final PartitionLoader loader;
    private final ChangeTail tail;
    private final Publisher publisher;
    private final ControlHandler control;
    private final GatewayReaper reaper;

    private volatile List<String> live = List.of();
    /** Main ticks so far (main thread only). */
    private long ticks;

    private final Counter fencedRefused;

    public Shard(Config cfg, MeterRegistry metrics) {
        this.cfg = cfg;
        this.redis = Redis.connect(cfg.redisUri(), java.time.Duration.ofSeconds(2));
        this.store = new RowStore(
                redis,
                cfg.horizon(),
                cfg.options().horizonTime(),
                Math.max(cfg.horizon(), cfg.options().maxHistory()));
        this.members = new Membership(redis);
        this.main = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "shard-" + cfg.id() + "-main"));
        this.leaseExec = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "shard-" + cfg.id() + "-lease"));
        String id = cfg.id();
        ShardMeters meters = new ShardMeters(id, metrics, loaded, hosted);
        this.fencedRefused = meters.fencedRefused;
        String sender = id + "/"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.leases = new LeaseKeeper(id, sender, cfg.ttlMs(), members, meters.failovers, meters.acquired);
        meters.owned(leases.leases());
        this.reaper = new GatewayReaper(id, redis, hosted, this::close);
        this.publisher = new Publisher(
                id,
                sender,
                redis,
                leases.leases(),
                hosted::values,
                this::applied,
                this::refused,
                gw -> main.execute(() -> reaper.gone(gw)),
                meters.publishLag,
                meters.publishFailures);
        meters.deliveryGateways(publisher);
        this.history = new HistoryGuard(
                id, store, loaded, () -> List.copyOf(leases.leases().keySet()), main, this::unload);
        this.loader = new PartitionLoader(id, store, cfg.options());
        this.tail = new ChangeTail(id, redis, loaded, main, running::get, tailEvents(), meters.streamLag);
        this.control = new ControlHandler(
                id,
                redis,
                main,
                leases,
                () -> live,
                new ControlHandler.Parts() {
                    @Override
                    public Engine load(int p) throws LiveQueryException {
                        return Shard.this.load(p).engine;
                    }

                    @Override
                    public String applied(int p) {
                        return Shard.this.applied(p);
                    }

                    @Override
                    public void close(Hosted h) {
                        Shard.this.close(h);
                    }
                },
                hosted,
                publisher,
                meters.loadFailures);
    }

    public String id() {
        return cfg.id();
    }

    /** Partitions whose lease this shard holds now. */
    public java.util.Set<Integer> owned() {
        return java.util.Set.copyOf(leases.leases().keySet());
    }

    /** Registers and starts serving. */
    public void start() {
        // Redis may come up after us (compose, bin/cluster): wait for it instead of dying.
        int epoch;
        for (int attempt = 1; ; attempt++) {
            try {
                epoch = store.epoch();
                break;
            } catch (RedisException e) {
                if (attempt >= 60) {
                    throw e;
                }
                int a = attempt;
                LOG.warning(() -> "shard " + cfg.id() + ": Redis at " + Redis.redact(cfg.redisUri())
                        + " not reachable yet (" + e.getMessage() + "), attempt " + a + "/60; retrying in 1 s");
                LockSupport.parkNanos(1_000_000_000L);
            }
        }
        String policy = store.evictionPolicy();
        if (policy != null && (policy.startsWith("allkeys-") || policy.startsWith("volatile-"))) {
            redis.close();
            throw new IllegalStateException(
                    "Redis at " + Redis.redact(cfg.redisUri()) + " has maxmemory-policy " + policy
                            + ": eviction would silently drop rows, leases and history epochs. Set maxmemory-policy"
                            + " noeviction (writes then fail with 503 when Redis is full) and restart this shard.");
        }
        history.init(epoch);
        // Read the control stream from its current end, fixed before we announce ourselves: what
        // gateways send after they can see us is read, leftovers of an earlier run are not.
        List<StreamMessage<String, String>> last = redis.cmd()
                .xrevrange(
                        Keys.control(cfg.id()), io.lettuce.core.Range.create("-", "+"), io.lettuce.core.Limit.from(1));
        String ctlFrom = last.isEmpty() ? "0-0" : last.get(0).getId();
        long every = Math.max(100, cfg.ttlMs() / 3);
        leaseExec.scheduleWithFixedDelay(this::leaseTick, 0, renewEvery(cfg.ttlMs()), TimeUnit.MILLISECONDS);
        main.scheduleWithFixedDelay(this::mainTick, every, every, TimeUnit.MILLISECONDS);
        thread("ctl", () -> control.read(ctlFrom, running::get));
        thread("tail", tail::run);
        thread("pub", () -> publisher.run(running::get));
        int started = epoch;
        LOG.info(() -> "shard " + cfg.id() + " started, epoch " + started + ", lease TTL " + cfg.ttlMs() + " ms");
    }

    /**
     * How often heartbeat and leases are renewed. Ownership sticks across any pause shorter than
     * the TTL minus this (and a tick's own time): the heartbeat and the leases are then still there
     * when the shard wakes, no other shard saw it leave, so nothing moves and nothing moves back.
     * A sixth of the TTL keeps a 2 s GC pause at the default 3 s TTL well inside that; a pause past
     * the TTL still hands the partitions over (the lease expired: failover, not ping-pong).
     */
    static long renewEvery(long ttlMs) {
        return Math.max(100, ttlMs / 6);
    }

    private void thread(String name, Runnable r) {
        Thread t = new Thread(r, "shard-" + cfg.id() + "-" + name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    // ---- lease thread ---------------------------------------------------------------------------

    /**
     * On the lease thread, never behind a partition load: heartbeat, membership, epoch, leases,
     * generations. A lease that is lost or handed over is removed from the {@link LeaseKeeper} here
     * at once (so the publisher stops), and the partition is unloaded on the main thread.
     *
     * <p>A round that fails is tried again at once, once. A pause of this process (a long GC,
     * SIGSTOP, a stalled host) longer than the Redis command timeout fails the round it caught with
     * a command in flight, though Redis answered: the client's timer ran out while the process
     * slept. Waiting a whole {@link #renewEvery} after that would spend the time the pause left the
     * leases, and lose them across a pause {@link #renewEvery} promises they survive.
     */
    private void leaseTick() {
        RuntimeException failed = leaseRound();
        if (failed != null) {
            LOG.warning(() ->
                    "shard " + cfg.id() + ": lease tick failed (" + failed.getMessage() + "); trying again at once");
            RuntimeException again = leaseRound();
            if (again != null) {
                LOG.warning(() ->
                        "shard " + cfg.id() + ": lease tick failed again (Redis unreachable?): " + again.getMessage());
            }
        }
    }

    /** One lease round; what it threw, or null. */
    private RuntimeException leaseRound() {
        try {
            members.heartbeat(cfg.id(), cfg.ttlMs());
            live = members.live();
            history.checkEpoch();
            leases.renew(live, (p, why) -> main.execute(() -> unload(p, why)));
            history.checkGenerations();
            return null;
        } catch (RuntimeException ex) {
            return ex;
        }
    }

    // ---- main thread ----------------------------------------------------------------------------

    /** On the main thread: lost-write checks, requests waiting for a lease, dead gateways. */
    private void mainTick() {
        try {
            history.checkRegression();
            control.retryPending();
            if (++ticks % 5 == 0) {
                reaper.sweep();
            }
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "shard " + cfg.id() + ": tick failed (Redis unreachable?): " + ex.getMessage());
        }
    }

    /** On the main thread: the loaded partition, loaded now if need be (its tail starts at once). */
    private LoadedPartition load(int p) throws LiveQueryException {
        LoadedPartition part = loaded.get(p);
        if (part != null) {
            return part;
        }
        part = loader.load(p, history.epoch(), history.durableRestarts());
        loaded.put(p, part);
        tail.added();
        return part;
    }

    /** On the main thread: forgets a partition's engine and tells gateways to re-attach its subscriptions. */
    private void unload(int p, String why) {
        loaded.remove(p);
        for (Hosted h : List.copyOf(hosted.values())) {
            if (h.p == p) {
                close(h);
                publisher.notify(h.gw, new Delivery.Gone(h.sid, h.att, why));
            }
        }
    }

    /** On the main thread: unloads {@code pt} unless it was unloaded or reloaded meanwhile. */
    private void unloadIfStill(LoadedPartition pt, String why) {
        if (loaded.get(pt.p) == pt) {
            unload(pt.p, why);
        }
    }

    private void close(Hosted h) {
        h.closed = true;
        hosted.remove(h.key(), h);
        Subscription s = h.sub;
        if (s != null) {
            s.close();
        }
    }

    /** What the tail finds goes to the main thread, which owns loading and unloading. */
    private ChangeTail.Events tailEvents() {
        return new ChangeTail.Events() {
            @Override
            public void lostWrites(LoadedPartition pt, String evidence) {
                main.execute(() -> history.lostWrites(pt, evidence));
            }

            @Override
            public void gap(LoadedPartition pt) {
                main.execute(() -> unloadIfStill(pt, "reload"));
            }

            @Override
            public void unreadable(LoadedPartition pt) {
                main.execute(() -> unloadIfStill(pt, "its Redis node is unreachable"));
            }

            @Override
            public void rejected(LoadedPartition pt) {
                main.execute(() -> unloadIfStill(pt, "reload"));
            }
        };
    }

    // ---- publishing ------------------------------------------------------------------------------

    /** A fenced publish was refused: the lease is no longer ours, so drop the partition. */
    private void refused(Hosted h, String lease) {
        fencedRefused.increment();
        LOG.warning(() -> "shard " + cfg.id() + ": fenced publish refused for partition " + h.p + " (lease " + lease
                + " no longer ours); dropping the partition");
        if (leases.refused(h.p, lease)) {
            main.execute(() -> unload(h.p, "lease lost"));
        }
    }

    /** The id of the last change-stream entry applied to a loaded partition's engine, or null. */
    private String applied(int p) {
        LoadedPartition pt = loaded.get(p);
        return pt == null ? null : pt.read.id();
    }

    /** For tests: the engine of a loaded partition, or null. */
    Engine engine(int p) {
        LoadedPartition pt = loaded.get(p);
        return pt == null ? null : pt.engine;
    }

    /** Leaves the cluster at once (partitions move without waiting for the TTL). */
    @Override
    public void close() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        try {
            leaseExec.shutdownNow();
            leaseExec.awaitTermination(2, TimeUnit.SECONDS);
            main.submit(() -> {
                        // Leave first, so gateways told "gone" below re-attach to the next owner, not to us.
                        members.leave(cfg.id());
                        for (int p : leases.releaseAll()) {
                            unload(p, "shutdown");
                        }
                    })
                    .get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warning(() -> "shard " + cfg.id() + ": unclean leave: " + e);
        }
        main.shutdownNow();
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        redis.close();
        LOG.info(() -> "shard " + cfg.id() + " stopped");
    }
}
