package dev.livequery.shard.cluster;

import dev.livequery.core.Engine;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Subscription;
import dev.livequery.shard.store.Keys;
import dev.livequery.shard.store.Redis;
import dev.livequery.shard.store.RowStore;
import io.lettuce.core.RedisException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.UnblockType;
import io.lettuce.core.XReadArgs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One shard: owns partitions by lease, keeps an engine per loaded partition fed from its change
 * stream, runs the subscriptions gateways attach to it, and publishes their frames (fenced).
 * It is the coordinator: it owns the threads and the loaded partitions and wires the parts that
 * do one job each: {@link LeaseKeeper} (which leases it holds), {@link ControlHandler} (what
 * gateways ask of it), {@link Publisher} (what it sends them) and {@link Rollback} (history of a
 * loaded partition).
 *
 * <p>Threads: {@code lease} (heartbeat, membership, epoch, lease renewal — alone on its thread so
 * a long partition load can never delay a renewal past the TTL), {@code main} (one thread:
 * control messages, partition loads and unloads — serialising them keeps subscribes free of races), {@code ctl} (blocking
 * read of the control stream), {@code tail} (feeds loaded partitions from their streams),
 * {@code pub} (drains subscriptions and XADDs frames to gateways).
 */
public final class Shard implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Shard.class.getName());

    /** Settings; {@code ttlMs} is the heartbeat and lease TTL (renewed every sixth of it, see {@link #renewEvery}). */
    public record Config(String id, String redisUri, EngineOptions options, long ttlMs, int horizon) {}

    private static final int TAIL_BLOCK_MS = 500;
    /** A partition whose stream reads fail this long on end (Cluster: its node is down) is unloaded. */
    private static final long UNREADABLE_NANOS = 500_000_000L;

    private final Config cfg;
    private final Redis redis;
    private final RowStore store;
    private final Membership members;
    private final ScheduledExecutorService main;
    private final ScheduledExecutorService leaseExec;
    private final LeaseKeeper leases;
    private final ControlHandler control;
    private final Map<Integer, Part> loaded = new ConcurrentHashMap<>();
    private final Map<String, Hosted> hosted = new ConcurrentHashMap<>();
    private final Publisher publisher;
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** Bumped on every partition load; the tail notes the value it read its set of partitions at. */
    private final AtomicLong loadedVersion = new AtomicLong();

    private volatile long tailSeen = -1;
    /** CLIENT ID of the tail's connection (standalone only), -1 when unknown. */
    private volatile long tailClientId = -1;

    private volatile int epoch;
    private volatile List<String> live = List.of();
    private long ticks;
    private final List<Thread> threads = new ArrayList<>();
    // metrics
    private final Counter fencedRefused;
    /** Last value read; a restart of Redis that keeps every acknowledged write keeps the generation. */
    private volatile boolean durableRestarts;

    private final Timer lag;
    private final Timer publishLag;

    private static final class Part {
        final int p;
        final Engine engine;
        /** The partition's history generation the engine was built at. */
        final long gen;

        volatile String lastId;
        /** The changes read so far of a write whose last change is still to come (tail thread only). */
        final List<RowStore.Change> group = new ArrayList<>();
        /** A lost write was found here and a new epoch started (main thread only). */
        boolean regressed;

        Part(int p, Engine engine, long gen, String lastId) {
            this.p = p;
            this.engine = engine;
            this.gen = gen;
            this.lastId = lastId;
        }
    }

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
        Gauge.builder("livequery_shard_partitions_loaded", loaded, Map::size)
                .tag("shard", id)
                .register(metrics);
        Gauge.builder("livequery_shard_subscriptions", hosted, Map::size)
                .tag("shard", id)
                .register(metrics);
        Counter failovers = Counter.builder("livequery_shard_failovers")
                .description("partitions lost (lease or epoch)")
                .tag("shard", id)
                .register(metrics);
        Counter acquired = Counter.builder("livequery_shard_leases_acquired")
                .tag("shard", id)
                .register(metrics);
        fencedRefused = Counter.builder("livequery_shard_fenced_publish_refused")
                .description("frame batches refused because this shard no longer held the lease")
                .tag("shard", id)
                .register(metrics);
        lag = Timer.builder("livequery_shard_stream_lag")
                .description("write (stream id time) to ingest")
                .tag("shard", id)
                .register(metrics);
        publishLag = Timer.builder("livequery_shard_publish_lag")
                .description("engine made a batch's oldest frame to its delivery XADD acknowledged")
                .tag("shard", id)
                .register(metrics);
        Counter publishFailures = Counter.builder("livequery_shard_publisher_failures")
                .description("publisher rounds that threw (logged; the publisher goes on)")
                .tag("shard", id)
                .register(metrics);
        String sender = id + "/"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.leases = new LeaseKeeper(id, sender, cfg.ttlMs(), members, failovers, acquired);
        Gauge.builder("livequery_shard_partitions_owned", leases.leases(), Map::size)
                .tag("shard", id)
                .register(metrics);
        this.publisher = new Publisher(
                id,
                sender,
                redis,
                leases.leases(),
                hosted::values,
                this::applied,
                this::refused,
                gw -> main.execute(() -> gatewayGone(gw)),
                publishLag,
                publishFailures);
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
                publisher);
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
        durableRestarts = store.durableRestarts();
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
        thread("tail", this::tail);
        thread("pub", () -> publisher.run(running::get));
        LOG.info(() -> "shard " + cfg.id() + " started, epoch " + epoch + ", lease TTL " + cfg.ttlMs() + " ms");
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

    // ---- main thread: membership, leases, epoch --------------------------------------------------

    /**
     * On the lease thread, never behind a partition load: heartbeat, membership, epoch, leases.
     * A lease that is lost or handed over is removed from {@link #leases} here at once (so the
     * publisher stops), and the partition is unloaded on the main thread.
     */
    private void leaseTick() {
        try {
            members.heartbeat(cfg.id(), cfg.ttlMs());
            live = members.live();
            int e = store.epoch();
            if (e != epoch) {
                epochChanged(e, "Redis lost its data or a shard found lost writes");
            }
            leases.renew(live, (p, why) -> main.execute(() -> unload(p, why)));
            checkGenerations();
        } catch (RuntimeException ex) {
            LOG.log(
                    Level.WARNING,
                    "shard " + cfg.id() + ": lease tick failed (Redis unreachable?): " + ex.getMessage());
        }
    }

    /**
     * Records which Redis node serves each owned partition and unloads any loaded partition whose
     * history generation changed (Redis restarted without keeping every write, or a replica was
     * promoted): its engine's change numbers may be reused for other changes now, so its
     * subscribers re-attach and get {@code reset epoch} from an engine of the new generation.
     */
    private void checkGenerations() {
        durableRestarts = store.durableRestarts();
        List<Integer> ps = new ArrayList<>(leases.leases().keySet());
        if (ps.isEmpty()) {
            return;
        }
        List<Long> gens = store.generations(ps, durableRestarts);
        for (int i = 0; i < ps.size(); i++) {
            int p = ps.get(i);
            long g = gens.get(i);
            Part pt = loaded.get(p);
            if (pt != null && pt.gen != g) {
                LOG.warning(() -> "shard " + cfg.id() + ": the Redis node serving partition " + p + " changed in a way"
                        + " that may have lost acknowledged writes (generation " + pt.gen + " -> " + g
                        + "); reloading it,"
                        + " its subscribers get reset epoch");
                main.execute(() -> {
                    if (loaded.get(p) == pt) {
                        unload(p, "history generation changed");
                    }
                });
            }
        }
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

    /** On the main thread: requests waiting for a lease, lost-write checks, orphans. */
    private void mainTick() {
        try {
            checkRegression();
            control.retryPending();
            if (++ticks % 5 == 0) {
                dropOrphans();
                deleteDeadGateways();
            }
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "shard " + cfg.id() + ": tick failed (Redis unreachable?): " + ex.getMessage());
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
        LOG.warning(() -> "shard " + cfg.id() + ": history epoch changed " + old + " -> " + e + " (" + why
                + "); unloading every partition, subscribers get reset epoch");
        main.execute(() -> {
            for (Integer p : List.copyOf(loaded.keySet())) {
                unload(p, "epoch changed");
            }
        });
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

    private void dropOrphans() {
        Map<String, Boolean> alive = new HashMap<>();
        for (Hosted h : List.copyOf(hosted.values())) {
            boolean a = alive.computeIfAbsent(h.gw, g -> redis.cmd().exists(Keys.gatewayAlive(g)) > 0);
            if (!a) {
                LOG.info(() ->
                        "shard " + cfg.id() + ": gateway " + h.gw + " is gone; closing its subscription " + h.sid);
                close(h);
            }
        }
    }

    /**
     * Deletes the delivery stream and registration of every gateway whose heartbeat expired, so a
     * crashed gateway leaves nothing behind in Redis (within its heartbeat TTL plus a few ticks).
     * A gateway that was only paused notices its expiry when it wakes and re-attaches everything.
     */
    private void deleteDeadGateways() {
        for (String gw : redis.cmd().smembers(Keys.GATEWAYS)) {
            if (redis.cmd().exists(Keys.gatewayAlive(gw)) == 0) {
                redis.cmd().del(Keys.delivery(gw));
                redis.cmd().srem(Keys.GATEWAYS, gw);
                LOG.info(() -> "shard " + cfg.id() + ": gateway " + gw + " is gone; deleted its delivery stream");
            }
        }
    }

    /** On the main thread: the publisher found the gateway's heartbeat expired. */
    private void gatewayGone(String gw) {
        int n = 0;
        for (Hosted h : List.copyOf(hosted.values())) {
            if (h.gw.equals(gw)) {
                close(h);
                n++;
            }
        }
        int closed = n;
        LOG.info(() -> "shard " + cfg.id() + ": gateway " + gw + " is gone (heartbeat expired); closed its " + closed
                + " subscriptions");
    }

    private void close(Hosted h) {
        h.closed = true;
        hosted.remove(h.key(), h);
        Subscription s = h.sub;
        if (s != null) {
            s.close();
        }
    }

    // ---- partitions: cold start and tail ---------------------------------------------------------

    /**
     * Loads a partition: its rows and counters as of one stream position (atomic, one script),
     * then the history rebuilt from the retained stream entries' before-images, so resume tokens
     * issued by the previous owner still resolve here. The tail continues from that position;
     * duplicates are ignored by version.
     */
    private Part load(int p) throws LiveQueryException {
        Part part = loaded.get(p);
        if (part != null) {
            return part;
        }
        RowStore.Snapshot snap = store.snapshot(p);
        List<RowStore.Change> all = new ArrayList<>();
        String from = "0-0";
        while (true) {
            List<RowStore.Change> page = store.range(p, from, snap.lastId(), 1000);
            if (page.isEmpty()) {
                break;
            }
            all.addAll(page);
            from = page.get(page.size() - 1).streamId();
        }
        long gen = store.generations(List.of(p), durableRestarts).get(0);
        Engine engine = new Engine(cfg.options(), epochOf(epoch, gen));
        Map<String, List<RowStore.Change>> byTable = new HashMap<>();
        for (RowStore.Change c : all) {
            byTable.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(c);
        }
        for (RowStore.TableState ts : snap.tables()) {
            Rollback.Plan plan = Rollback.of(ts, byTable.getOrDefault(ts.table(), List.of()));
            engine.restore(ts.table(), plan.rows(), plan.base(), "failover");
            for (RowStore.Change c : plan.replay()) {
                engine.ingest(c.table(), c.id(), c.after(), c.version());
            }
        }
        part = new Part(p, engine, gen, snap.lastId());
        loaded.put(p, part);
        loadedVersion.incrementAndGet();
        kickTail();
        int tables = snap.tables().size();
        int changes = all.size();
        LOG.info(() -> "shard " + cfg.id() + ": loaded partition " + p + " (" + tables + " tables, history of "
                + changes + " changes) at stream id " + snap.lastId());
        return part;
    }

    /**
     * Feeds loaded partitions from their change streams. On a standalone Redis one {@code XREAD
     * BLOCK} covers every loaded partition, so a change is picked up as soon as it is appended
     * (no polling delay). The set of streams is fixed while the read blocks: a partition loaded
     * meanwhile bumps {@link #loadedVersion} and the main thread cuts the read short with
     * {@code CLIENT UNBLOCK} until this thread has seen the new set ({@link #kickTail}). On a Redis
     * Cluster one read cannot span slots, so it polls, one non-blocking read per partition, all
     * pipelined and each failing alone ({@link ClusterPoll}): a node that is down stalls only its
     * own partitions.
     */
    private void tail() {
        boolean block = !redis.cluster();
        var conn = block ? redis.dedicated() : null;
        var async = block ? null : redis.dedicatedAsync();
        Map<Integer, Long> unreadableSince = new HashMap<>();
        while (running.get()) {
            boolean any = false;
            boolean failed = false;
            boolean got = false;
            long version = loadedVersion.get();
            List<Part> parts = List.copyOf(loaded.values());
            try {
                if (block && tailClientId < 0) {
                    tailClientId = conn.clientId();
                }
                tailSeen = version;
                if (!parts.isEmpty()) {
                    if (block) {
                        List<XReadArgs.StreamOffset<String>> offs = new ArrayList<>(parts.size());
                        Map<String, Part> byKey = new HashMap<>();
                        for (Part pt : parts) {
                            offs.add(XReadArgs.StreamOffset.from(Keys.changes(pt.p), pt.lastId));
                            byKey.put(Keys.changes(pt.p), pt);
                        }
                        // BLOCK stays well under the 2 s command timeout.
                        for (var m : conn.xread(
                                XReadArgs.Builder.block(TAIL_BLOCK_MS).count(1000), Redis.offsets(offs))) {
                            got = true;
                            any |= apply(byKey.get(m.getStream()), m);
                        }
                    } else {
                        List<String> keys = new ArrayList<>(parts.size());
                        List<String> from = new ArrayList<>(parts.size());
                        for (Part pt : parts) {
                            keys.add(Keys.changes(pt.p));
                            from.add(pt.lastId);
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
                tailClientId = -1; // a reconnect gives the connection a new client id
                if (running.get()) {
                    LOG.fine(() -> "tail read failed: " + e.getMessage());
                    LockSupport.parkNanos(200_000_000L);
                }
            }
            if (!any && !failed && (!block || parts.isEmpty() || got)) {
                // Polling (Cluster), nothing loaded yet, or entries we could not apply (the main
                // thread is about to reload or drop their partition): do not spin.
                LockSupport.parkNanos(5_000_000L);
            }
        }
    }

    /**
     * On a Redis Cluster, a partition whose stream has been unreadable for {@link #UNREADABLE_NANOS}
     * (its node down or paused) is unloaded: its subscribers are told gone and re-attach, which
     * cannot succeed until the node is back, so their gateways tell them {@code status stale} 3 s
     * after their last good news. Without it the shard's ticks (it is alive, other partitions flow)
     * kept the gateways quiet while those windows fell behind. On the tail thread.
     */
    private void unreadable(List<Part> parts, java.util.Set<Integer> failed, Map<Integer, Long> since) {
        long now = System.nanoTime();
        for (int i = 0; i < parts.size(); i++) {
            Part pt = parts.get(i);
            if (!failed.contains(i)) {
                since.remove(pt.p);
                continue;
            }
            long first = since.computeIfAbsent(pt.p, x -> now);
            if (now - first > UNREADABLE_NANOS) {
                since.remove(pt.p);
                LOG.warning(() -> "shard " + cfg.id() + ": the change stream of partition " + pt.p + " has been"
                        + " unreadable for " + (now - first) / 1_000_000 + " ms (its Redis node down?); unloading it,"
                        + " its subscribers re-attach and are told stale until it can be read");
                main.execute(() -> {
                    if (loaded.get(pt.p) == pt) {
                        unload(pt.p, "its Redis node is unreachable");
                    }
                });
            }
        }
        since.keySet().retainAll(parts.stream().map(pt -> pt.p).toList());
    }

    /**
     * On the main thread after a partition was loaded: make the tail start reading its stream now,
     * not when its current blocking read times out. Repeats until the tail has taken the new set
     * of partitions, because an unblock sent just before the tail blocks would be lost.
     */
    private void kickTail() {
        if (!running.get() || redis.cluster() || tailSeen >= loadedVersion.get()) {
            return;
        }
        long id = tailClientId;
        if (id >= 0) {
            try {
                redis.cmd().clientUnblock(id, UnblockType.TIMEOUT);
            } catch (RuntimeException e) {
                // Redis unreachable: the tail's read fails too and it re-reads the set of partitions
            }
        }
        main.schedule(this::kickTail, 2, TimeUnit.MILLISECONDS);
    }

    private boolean apply(Part pt, StreamMessage<String, String> m) {
        if (pt == null || loaded.get(pt.p) != pt) {
            return false; // dropped meanwhile
        }
        RowStore.Change c = RowStore.forward(m);
        try {
            // within a write, its changes follow each other
            long last = pt.group.isEmpty()
                    ? pt.engine.lastChange(c.table())
                    : pt.group.get(pt.group.size() - 1).version();
            if (c.version() <= last) {
                // A new stream entry with an old version: Redis lost writes we had already seen.
                main.execute(() -> regressed(
                        pt,
                        "entry " + m.getId() + " of " + c.table() + " has version " + c.version()
                                + " but this shard already applied " + last));
                return false;
            }
            if (c.version() > last + 1) {
                // The stream was trimmed past us or Redis lost writes: reload from scratch.
                LOG.warning(() -> "shard " + cfg.id() + ": gap in " + c.table() + " (have " + last + ", got "
                        + c.version() + "); reloading partition " + pt.p);
                main.execute(() -> reload(pt));
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
            LOG.warning(() -> "shard " + cfg.id() + ": cannot apply change " + m.getId() + ": " + e.getMessage());
        }
        pt.lastId = m.getId();
        long ms = Long.parseLong(m.getId().substring(0, m.getId().indexOf('-')));
        lag.record(Math.max(0, System.currentTimeMillis() - ms), TimeUnit.MILLISECONDS);
        return true;
    }

    /**
     * Redis went back in time (lost acknowledged writes): the change numbers will be reused for
     * other changes, so no token naming them may resolve again. Start a new epoch; every shard
     * then drops its partitions and subscribers get {@code reset epoch}.
     */
    private void regressed(Part pt, String evidence) {
        // The tail may report one loss several times before the unload lands: one new epoch per loss.
        if (loaded.get(pt.p) != pt || pt.regressed) {
            return;
        }
        pt.regressed = true;
        try {
            int old = epoch;
            int next = store.newEpoch(old);
            LOG.severe(() -> "shard " + cfg.id() + ": Redis lost acknowledged writes in partition " + pt.p + " ("
                    + evidence + "; check its AOF fsync policy and restarts). Starting history epoch " + next
                    + " (was " + old + "): subscribers get reset epoch");
            epochChanged(next, "lost writes");
        } catch (RuntimeException e) {
            LOG.warning(() -> "shard " + cfg.id() + ": could not start a new epoch: " + e.getMessage());
        }
    }

    private void checkRegression() {
        for (Part pt : List.copyOf(loaded.values())) {
            // Read our position before the stream's end: the tail advances concurrently, and an end
            // read first could be overtaken by entries appended (and read by us) in between.
            String seen = pt.lastId;
            String now = store.lastId(pt.p);
            if (RowStore.compareIds(now, seen) < 0) {
                regressed(pt, "its stream ends at " + now + " but this shard read up to " + seen);
                return;
            }
        }
    }

    private void reload(Part pt) {
        if (loaded.get(pt.p) == pt) {
            unload(pt.p, "reload");
        }
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
        Part pt = loaded.get(p);
        return pt == null ? null : pt.lastId;
    }

    /** For tests: the engine of a loaded partition, or null. */
    Engine engine(int p) {
        Part pt = loaded.get(p);
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
