package dev.livequery.shard.backend;

import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.UNKNOWN_TABLE;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Access;
import dev.livequery.core.Backend;
import dev.livequery.core.Engine;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.QueryResult;
import dev.livequery.core.Row;
import dev.livequery.core.Rows;
import dev.livequery.core.Subscription;
import dev.livequery.core.Window;
import dev.livequery.core.Where;
import dev.livequery.core.WriteResult;
import dev.livequery.shard.cluster.Control;
import dev.livequery.shard.cluster.Delivery;
import dev.livequery.shard.cluster.DeliveryEntry;
import dev.livequery.shard.cluster.Membership;
import dev.livequery.shard.cluster.Wire;
import dev.livequery.shard.store.Keys;
import dev.livequery.shard.store.Redis;
import dev.livequery.shard.store.RowStore;
import dev.livequery.shard.store.StreamReader;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisException;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * The gateway's {@link Backend} in cluster mode ({@code livequery.backend=redis}). Stateless in
 * the sense that matters: every write goes straight to Redis, every live window runs on the shard
 * that owns its table's partition, and everything needed to move a window (its query and the eid
 * of the last frame queued) is here, so when owners change the window is re-attached with a
 * resume token and the client sees a splice, or a reset with an honest cause, never a gap.
 *
 * <p>Nothing here trusts a single message to arrive. Each shard incarnation ("sender") numbers
 * what it sends this gateway and ticks once a second: a skipped number re-attaches that sender's
 * subscriptions; 3 s without a word from the sender of a subscription tells its client
 * {@code status stale} (and {@code live} at the next word); a tick that counts fewer of our
 * attachments than we hold twice running re-attaches them; and our own heartbeat is written with
 * {@code SET … GET}, so a gateway that was paused until it expired (and so was presumed dead by
 * the shards) finds out and re-attaches everything.
 */
public final class RedisBackend implements Backend {
    private static final Logger LOG = Logger.getLogger(RedisBackend.class.getName());
    private static final long STALE_NANOS = 3_000_000_000L;
    private static final long ACK_TIMEOUT_MS = 8_000;
    private static final long ACK_TIMEOUT_NANOS = ACK_TIMEOUT_MS * 1_000_000L;
    private static final long REPAIR_EVERY_NANOS = 10_000_000_000L;
    /** Re-attaches per watcher tick (250 ms) at most: a repair wave is spread, not a herd. */
    private static final int REPAIR_BUDGET = 200;
    private static final long HEARTBEAT_TTL_MS = 15_000;
    /** Read delivery entries stay this long for operators (XRANGE) before this gateway trims them. */
    private static final long KEEP_READ_MS = 30_000;
    private static final int CONTROL_MAXLEN = 1_000_000;

    /** What we know of one sender (a shard incarnation) writing to our delivery stream. */
    private static final class Sender {
        final String shard;
        volatile long nextSeq = -1;
        volatile long lastHeardNanos = System.nanoTime();
        int shortTicks;

        Sender(String shard) {
            this.shard = shard;
        }
    }

    /** A request waiting for its ack; {@code sub}/{@code att} name the attach it was (null for a reanchor). */
    private record PendingAck(String shard, CompletableFuture<String[]> future, RemoteSubscription sub, String att) {
    }

    private final EngineOptions options;
    private final String gatewayId;
    /** Distinguishes this process from an earlier one with the same (configured) gateway id. */
    private final String incarnation = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final Redis redis;
    private final RowStore store;
    private final Membership members;
    private final Map<String, RemoteSubscription> subs = new ConcurrentHashMap<>();
    private final Map<String, PendingAck> acks = new ConcurrentHashMap<>();
    private final Map<String, Sender> senders = new ConcurrentHashMap<>();
    /** Attachments we already asked a shard to drop (frames kept coming for them); bounded. */
    private final Set<String> strays = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watcher;
    private final Thread reader;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong ids = new AtomicLong();
    private volatile List<String> live = List.of();
    private volatile long lastReadOk = System.nanoTime();
    private volatile boolean stale;
    private boolean heartbeated;
    private long ticks;
    private long lastCheckNanos;
    /** Subscriptions the stale check found due for a re-attach; the watcher does it. */
    private final Set<RemoteSubscription> due = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService staleCheck;
    private final Timer controlRtt;
    private final Counter reattaches;
    private final Counter gaps;

    /** {@code uri}: {@code redis://host:port}, or {@code redis-cluster://h1:p1,h2:p2}. */
    public RedisBackend(EngineOptions options, String uri, String gatewayId, MeterRegistry metrics) {
        this.options = options;
        this.gatewayId = gatewayId;
        this.redis = Redis.connect(uri, Duration.ofSeconds(2));
        this.store = new RowStore(redis, options);
        this.members = new Membership(redis);
        controlRtt = Timer.builder("livequery_gateway_control_rtt").description("subscribe/reanchor round trip to a shard")
                .tag("gateway", gatewayId).register(metrics);
        reattaches = Counter.builder("livequery_gateway_reattaches").description("subscriptions moved or repaired")
                .tag("gateway", gatewayId).register(metrics);
        gaps = Counter.builder("livequery_gateway_delivery_gaps")
                .description("delivery entries found missing (trimmed, deleted, or a failed publish); repaired")
                .tag("gateway", gatewayId).register(metrics);
        Gauge.builder("livequery_redis_subscriptions", subs, Map::size).tag("gateway", gatewayId).register(metrics);
        Gauge.builder("livequery_gateway_live_shards", this, b -> b.live.size()).tag("gateway", gatewayId)
                .register(metrics);
        heartbeat();
        live = members.live();
        List<StreamMessage<String, String>> last = redis.cmd().xrevrange(Keys.delivery(gatewayId),
                Range.create("-", "+"), Limit.from(1));
        String from = last.isEmpty() ? "0-0" : last.get(0).getId();
        reader = new Thread(() -> read(from), "redis-backend-" + gatewayId + "-reader");
        reader.setDaemon(true);
        reader.start();
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "redis-backend-" + gatewayId + "-watch");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::watch, 250, 250, TimeUnit.MILLISECONDS);
        staleCheck = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "redis-backend-" + gatewayId + "-stale");
            t.setDaemon(true);
            return t;
        });
        staleCheck.scheduleWithFixedDelay(this::checkStale, 250, 250, TimeUnit.MILLISECONDS);
        LOG.info(() -> "gateway " + gatewayId + " on Redis " + Redis.redact(uri) + ": " + live.size() + " live shards");
    }

    /**
     * Refreshes our heartbeat and reads back what it replaced. Nothing there means it expired:
     * this gateway was paused (GC, SIGSTOP) or cut off long enough for shards to presume it dead,
     * close its subscriptions and delete its stream, so every subscription is re-attached.
     */
    private void heartbeat() {
        String before = redis.cmd().setGet(Keys.gatewayAlive(gatewayId), incarnation,
                SetArgs.Builder.px(HEARTBEAT_TTL_MS));
        redis.cmd().sadd(Keys.GATEWAYS, gatewayId);
        if (before == null && heartbeated) {
            LOG.warning(() -> "gateway " + gatewayId + ": its heartbeat had expired (this process was paused or cut off"
                    + " for over " + HEARTBEAT_TTL_MS / 1000 + " s), so shards dropped its subscriptions; re-attaching "
                    + subs.size() + " with resume");
            for (RemoteSubscription s : subs.values()) {
                s.detachAll();
            }
        }
        heartbeated = true;
    }

    // ---- subscriptions ---------------------------------------------------------------------------

    @Override
    public Subscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException {
        checkTable(query.shape().table());
        if (query.window().limit() > options.maxWindow()) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_QUERY, "limit " + query.window().limit()
                    + " is over the maximum window of " + options.maxWindow());
        }
        RemoteSubscription s = new RemoteSubscription(this, "s" + incarnation + "-" + ids.incrementAndGet(), query,
                resume, wakeup, options.maxQueued());
        subs.put(s.sid, s);
        long deadline = System.nanoTime() + ACK_TIMEOUT_NANOS;
        try {
            while (true) {
                CompletableFuture<String[]> ack = attach(s, null, null);
                String[] r = null;
                while (r == null) {
                    try {
                        r = ack.get(200, TimeUnit.MILLISECONDS);
                    } catch (TimeoutException slice) {
                        if (s.isAcked()) {
                            return s; // the watcher moved it meanwhile (owner died) and that attach took
                        }
                        if (System.nanoTime() > deadline) {
                            throw new LiveQueryException(UNAVAILABLE, "the owning shard did not answer in time");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new LiveQueryException(UNAVAILABLE, "interrupted");
                    } catch (ExecutionException e) {
                        throw new LiveQueryException(UNAVAILABLE, e.getCause().getMessage());
                    }
                }
                if (r[0].isEmpty()) {
                    return s;
                }
                if (!r[0].equals(Wire.NOT_OWNER) || System.nanoTime() > deadline) {
                    throw new LiveQueryException(code(r[0]), r[1]);
                }
                live = members.live(); // our view of the members was stale: look again and retry
                LockSupport.parkNanos(100_000_000L);
            }
        } catch (LiveQueryException | RuntimeException e) {
            subs.remove(s.sid);
            String shard = s.shard();
            if (shard != null) {
                unsubscribe(shard, s.sid, null); // in case it was attached after all
            }
            throw e instanceof LiveQueryException l ? l : RowStore.unavailable((RuntimeException) e);
        }
    }

    /**
     * Sends the subscription to its owner under a new attachment id. Frames of older attachments
     * are ignored from here on. {@code missFrom/To}: the cause the next reset should carry
     * instead (e.g. resume_miss → failover when the history could not follow the move).
     */
    private CompletableFuture<String[]> attach(RemoteSubscription s, String missFrom, String missTo)
            throws LiveQueryException {
        String owner = Membership.owner(s.partition, live);
        if (owner == null) {
            throw new LiveQueryException(UNAVAILABLE, "no live shard in the cluster (is any shard process running?)");
        }
        String att = gatewayId + "." + incarnation + "." + ids.incrementAndGet();
        String req = "r" + ids.incrementAndGet();
        CompletableFuture<String[]> f = new CompletableFuture<>();
        // Two attaches of one subscription to the same owner (subscribe's and the watcher's) must
        // reach its control stream in the order they set the attachment: otherwise the shard keeps
        // the attachment the gateway has already replaced and every frame it publishes is dropped.
        synchronized (s.attachLock) {
            RemoteSubscription.Attach a = s.begin(gatewayId, owner, att, req, missFrom, missTo);
            acks.put(req, new PendingAck(owner, f, s, att));
            long t0 = System.nanoTime();
            f.whenComplete((r, e) -> {
                acks.remove(req);
                controlRtt.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            });
            if (a.oldShard() != null && !a.oldShard().equals(owner)) {
                unsubscribe(a.oldShard(), s.sid, a.oldAtt());
            }
            try {
                send(owner, a.request());
            } catch (RedisException e) {
                acks.remove(req);
                s.detach(att);
                throw RowStore.unavailable(e);
            }
        }
        return f;
    }

    private void send(String shard, Control c) {
        redis.cmd().xadd(Keys.control(shard), XAddArgs.Builder.maxlen(CONTROL_MAXLEN).approximateTrimming(), c.map());
    }

    /** Without {@code att} (mid re-attach) the shard closes whatever attachment it has for the sid. */
    private void unsubscribe(String shard, String sid, String att) {
        try {
            send(shard, new Control.Unsubscribe(gatewayId, sid, att));
        } catch (RedisException ignored) {
            // the shard drops it when its frames reach us for an attachment we no longer have
        }
    }

    private static String[] await(CompletableFuture<String[]> f, long deadline) throws LiveQueryException {
        try {
            return f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new LiveQueryException(UNAVAILABLE, "the owning shard did not answer in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LiveQueryException(UNAVAILABLE, "interrupted");
        } catch (ExecutionException e) {
            throw new LiveQueryException(UNAVAILABLE, e.getCause().getMessage());
        }
    }

    /**
     * The new window is recorded before the request goes out, so a move racing this reanchor (the
     * watcher re-attaching elsewhere) carries the new window; an ack counts only if it came from
     * the attachment the request went to, else the subscription is re-attached with the new
     * window (the same splice: old window → new window, then ready).
     */
    void reanchor(RemoteSubscription s, Window w) throws LiveQueryException {
        if (w.limit() > options.maxWindow()) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_QUERY, "limit " + w.limit()
                    + " is over the maximum window of " + options.maxWindow());
        }
        Window old = s.query().window();
        String req = "r" + ids.incrementAndGet();
        String[] where = s.anchor(w);
        String shard = where[0];
        String att = where[1];
        CompletableFuture<String[]> f = new CompletableFuture<>();
        try {
            if (shard == null || att == null) {
                throw new LiveQueryException(UNAVAILABLE, "moving"); // mid re-attach: take the fallback below
            }
            acks.put(req, new PendingAck(shard, f, null, null));
            send(shard, new Control.Reanchor(gatewayId, s.sid, att, req, w));
            String[] r = await(f, System.nanoTime() + ACK_TIMEOUT_NANOS);
            if (r[0].isEmpty() && att.equals(s.att())) {
                return;
            }
            if (!r[0].isEmpty() && !r[0].equals(Wire.NOT_OWNER)) {
                s.unanchor(w, old);
                throw new LiveQueryException(code(r[0]), r[1]);
            }
        } catch (RedisException e) {
            // fall through: re-attaching with the new window is the same splice
        } catch (LiveQueryException e) {
            if (e.code() != UNAVAILABLE) {
                throw e;
            }
        } finally {
            acks.remove(req);
        }
        // Moving, moved meanwhile, or unreachable: a re-attach with the new window and the last eid
        // is the same splice, done by whoever owns it now.
        s.needsAttach();
    }

    void closed(RemoteSubscription s) {
        subs.remove(s.sid, s);
        String shard = s.shard();
        String att = s.att();
        if (shard != null) {
            unsubscribe(shard, s.sid, att);
        }
    }

    // ---- delivery --------------------------------------------------------------------------------

    private void read(String from) {
        // BLOCK stays well under the 2 s command timeout.
        StreamReader reader = new StreamReader(redis, Keys.delivery(gatewayId), from, Duration.ofMillis(500), 1000,
                Duration.ofMillis(100));
        long[] lastTrim = {System.nanoTime()};
        reader.run(running::get, m -> {
            try {
                deliver(DeliveryEntry.parse(m.getBody()));
            } catch (IllegalArgumentException bad) {
                LOG.warning(() -> "gateway " + gatewayId + ": bad delivery entry " + m.getId() + " skipped: "
                        + bad.getMessage());
            }
        }, n -> {
            lastReadOk = System.nanoTime();
            if (stale) {
                stale = false;
                LOG.info(() -> "gateway " + gatewayId + ": Redis reachable again");
            }
            if (System.nanoTime() - lastTrim[0] > 1_000_000_000L) {
                lastTrim[0] = System.nanoTime();
                trim(reader);
            }
        }, e -> {
            if (!stale && System.nanoTime() - lastReadOk > STALE_NANOS) {
                stale = true;
                LOG.warning(() -> "gateway " + gatewayId + ": Redis unreachable for 3 s (" + e.getMessage()
                        + "); marking " + subs.size() + " subscriptions stale");
                for (RemoteSubscription s : subs.values()) {
                    s.stale();
                }
            }
        });
    }

    /**
     * Only this gateway reads its stream, so what it has read can go; a short tail stays for
     * whoever inspects the stream (XRANGE) while debugging.
     */
    private void trim(StreamReader reader) {
        String pos = reader.position();
        long keepFrom = System.currentTimeMillis() - KEEP_READ_MS;
        String minId = RowStore.compareIds(pos, keepFrom + "-0") < 0 ? pos : keepFrom + "-0";
        reader.trimBefore(minId);
    }

    private void deliver(DeliveryEntry e) {
        String shard = e.sender().substring(0, Math.max(0, e.sender().lastIndexOf('/')));
        Sender from = senders.computeIfAbsent(e.sender(), k -> new Sender(shard));
        from.lastHeardNanos = System.nanoTime();
        if (from.nextSeq >= 0 && e.seq() != from.nextSeq) {
            if (e.seq() < from.nextSeq) {
                return; // a duplicate (cannot happen with one writer per sender; harmless to drop)
            }
            long lost = e.seq() - from.nextSeq;
            gaps.increment();
            LOG.warning(() -> "gateway " + gatewayId + ": " + lost + " delivery entries from " + e.sender()
                    + " are missing (stream trimmed, entries deleted or a publish failed half way); re-attaching its"
                    + " subscriptions with resume");
            repairSender(e.sender(), shard);
        }
        from.nextSeq = e.seq() + 1;
        switch (e.body()) {
            case Delivery.Ack a -> {
                PendingAck p = acks.get(a.req());
                if (p != null) {
                    if (p.sub() != null) {
                        p.sub().answered(p.att(), e.sender(), a.ok());
                    }
                    p.future().complete(new String[] {a.code(), a.msg()});
                }
            }
            case Delivery.Gone g -> {
                RemoteSubscription s = subs.get(g.sid());
                if (s != null && s.detach(g.att())) {
                    LOG.fine(() -> "subscription " + g.sid() + " dropped by " + e.sender() + ": " + g.why());
                }
            }
            case Delivery.Frames f -> frames(e.sender(), shard, f);
            case Delivery.Tick t -> tick(e.sender(), from, t);
        }
    }

    private void frames(String sender, String shard, Delivery.Frames f) {
        RemoteSubscription s = subs.get(f.sid());
        if (s == null) {
            stray(shard, f.sid(), f.att()); // closed here, and the shard missed the unsubscribe
            return;
        }
        switch (s.frames(sender, f)) {
            case OTHER_ATTACHMENT -> {
                if (!f.att().equals(s.att())) {
                    stray(shard, f.sid(), f.att());
                }
            }
            case REPAIR -> LOG.info(() -> "subscription " + s.sid + ": batch " + f.n() + " from " + sender
                    + " could not be applied (a batch missing, undecodable, or the queue overflowed); re-attaching");
            default -> {
            }
        }
    }

    /**
     * Frames keep coming for an attachment we no longer have: its unsubscribe was lost (a trimmed
     * control stream, a shard restarted under the same id, an earlier process of this gateway).
     * Ask its shard once to drop it; the set is bounded and forgotten now and then, so a lost
     * request is asked again later.
     */
    private void stray(String shard, String sid, String att) {
        if (strays.size() > 10_000) {
            strays.clear();
        }
        if (strays.add(att)) {
            unsubscribe(shard, sid, att);
        }
    }

    /**
     * A tick: the sender is alive and hosts {@code hosted} of our attachments. Tells its stale
     * subscriptions live; if it hosts fewer than we hold attached to it, twice running (once could
     * be an ack still on its way), some were dropped without a word reaching us: re-attach them all.
     */
    private void tick(String sender, Sender from, Delivery.Tick t) {
        int ours = 0;
        for (RemoteSubscription s : subs.values()) {
            s.heardFrom(sender);
            if (s.attachedTo(sender)) {
                ours++;
            }
        }
        if (ours > t.hosted()) {
            if (++from.shortTicks >= 2) {
                from.shortTicks = 0;
                int n = ours;
                LOG.warning(() -> "gateway " + gatewayId + ": " + sender + " hosts " + t.hosted() + " of our attachments"
                        + " but we hold " + n + " attached to it; re-attaching them with resume");
                repairSender(sender, from.shard);
            }
        } else {
            from.shortTicks = 0;
        }
    }

    /** Everything attached to (or being attached to) the sender is re-attached with resume. */
    private void repairSender(String sender, String shard) {
        for (RemoteSubscription s : subs.values()) {
            if (sender.equals(s.sender()) || (s.sender() == null && shard.equals(s.shard()))) {
                s.detachAll();
            }
        }
        // Requests to it may have lost their acks: let their callers retry now, not at their timeout.
        for (PendingAck p : acks.values()) {
            if (p.shard().equals(shard)) {
                p.future().complete(new String[] {Wire.NOT_OWNER, "the answer from " + shard + " was lost"});
            }
        }
    }

    // ---- the watcher: membership, moves, staleness, repairs --------------------------------------

    /**
     * Tells windows stale. Its own thread and no Redis call: the watcher's calls can take seconds
     * on a slow link, and that is exactly when a window must be told.
     */
    private void checkStale() {
        long woke = System.nanoTime();
        if (lastCheckNanos != 0 && woke - lastCheckNanos > STALE_NANOS) {
            // This process was paused (GC, SIGSTOP) or starved: whatever it read just now may be
            // old news, so every window is stale until its shard is heard from again.
            long ms = (woke - lastCheckNanos) / 1_000_000;
            LOG.warning(() -> "gateway " + gatewayId + ": this process did not run for " + ms + " ms; marking "
                    + subs.size() + " subscriptions stale until their shards are heard from");
            for (RemoteSubscription s : subs.values()) {
                s.stale();
            }
        }
        lastCheckNanos = woke;
        for (RemoteSubscription s : subs.values()) {
            if (s.closed() || !s.placed()) {
                // Not placed: subscribe() put it in subs and is about to attach it.
                continue;
            }
            String sender = s.sender();
            Sender from = sender == null ? null : senders.get(sender);
            if (s.check(woke, from == null ? 0 : from.lastHeardNanos, STALE_NANOS, ACK_TIMEOUT_NANOS,
                    REPAIR_EVERY_NANOS)) {
                due.add(s);
            }
        }
    }

    private void watch() {
        try {
            if (++ticks % 4 == 0) {
                heartbeat();
            }
            live = members.live();
        } catch (RuntimeException e) {
            return; // the reader marks stale; we retry next tick
        }
        long now = System.nanoTime();
        List<RemoteSubscription> repair = new ArrayList<>();
        for (RemoteSubscription s : subs.values()) {
            if (s.closed() || !s.placed()) {
                continue;
            }
            String owner = Membership.owner(s.partition, live);
            boolean isDue = due.remove(s) || s.needsRepair();
            if (owner != null && (isDue || !owner.equals(s.shard()))) {
                repair.add(s);
            }
        }
        if (repair.size() > REPAIR_BUDGET) {
            Collections.shuffle(repair); // the rest are due again next tick: a wave is spread, not a herd
            for (RemoteSubscription s : repair.subList(REPAIR_BUDGET, repair.size())) {
                s.needsAttach();
            }
            repair = repair.subList(0, REPAIR_BUDGET);
        }
        for (RemoteSubscription s : repair) {
            try {
                reattaches.increment();
                CompletableFuture<String[]> f = attach(s, "resume_miss", "failover");
                f.whenComplete((r, e) -> {
                    if (r != null && !r[0].isEmpty()) {
                        s.needsAttach();
                    }
                });
            } catch (LiveQueryException e) {
                s.needsAttach();
            }
        }
        // Forget senders that have been silent for a minute (old incarnations of restarted shards).
        senders.values().removeIf(x -> now - x.lastHeardNanos > 60_000_000_000L);
    }

    // ---- reads and writes ------------------------------------------------------------------------

    /**
     * One-shot window: the table read atomically from Redis into a throwaway engine. Costs a read
     * of the whole table; fine for the tables this tier serves, and it needs no shard round trip.
     */
    @Override
    public QueryResult query(Query query) throws LiveQueryException {
        String table = checkTable(query.shape().table());
        RowStore.TableState ts = store.table(table);
        int epoch;
        try {
            epoch = store.epoch();
        } catch (RedisException e) {
            throw RowStore.unavailable(e);
        }
        try (Engine tmp = new Engine(options, epoch)) {
            tmp.restore(table, ts.rows(), ts.seq(), "subscribe");
            return tmp.query(query);
        }
    }

    // Unrestricted puts, deletes and batches are one script call; with a write filter (PROTOCOL §9)
    // they go through CheckedWrites, so the check and the write are one atomic step. {@code key}
    // is the Idempotency-Key ({@link #idempotent}), or null.

    @Override
    public WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write)
            throws LiveQueryException {
        return put(table, id, row, ifMatch, write, null);
    }

    private WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write, String key)
            throws LiveQueryException {
        checkTable(table);
        ObjectNode data = Rows.copy(id, row);
        Rows.checkSize(id, data, options.maxRowBytes());
        if (write == null) {
            return new WriteResult(id, store.write(table, List.of(new RowStore.Op(id, data, ifMatch)), key).get(0),
                    false);
        }
        Access.checkAfter(write, id, data);
        long v = CheckedWrites.run(store, table, List.of(id), ifMatch != null, key, cur -> {
            Row c = cur.get(0);
            Access.checkBefore(write, table, id, c == null ? null : c.data());
            checkIfMatch(id, c, ifMatch);
            return List.of(data);
        }).get(0);
        return new WriteResult(id, v, false);
    }

    @Override
    public WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write)
            throws LiveQueryException {
        return patch(table, id, fields, ifMatch, write, null);
    }

    private WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write, String key)
            throws LiveQueryException {
        checkTable(table);
        Rows.checkPatch(id, fields);
        // A patch always reads first (it merges in Java), so it is always a checked write.
        long v = CheckedWrites.run(store, table, List.of(id), ifMatch != null, key, cur -> {
            Row c = cur.get(0);
            if (c == null) {
                throw Access.notFound(table, id);
            }
            Access.checkBefore(write, table, id, c.data());
            checkIfMatch(id, c, ifMatch);
            ObjectNode after = Rows.copy(id, Rows.merge(id, c.data(), fields));
            Rows.checkSize(id, after, options.maxRowBytes());
            Access.checkAfter(write, id, after);
            return List.of(after);
        }).get(0);
        return new WriteResult(id, v, false);
    }

    @Override
    public WriteResult delete(String table, String id, Long ifMatch, Where write) throws LiveQueryException {
        return delete(table, id, ifMatch, write, null);
    }

    private WriteResult delete(String table, String id, Long ifMatch, Where write, String key)
            throws LiveQueryException {
        checkTable(table);
        Rows.checkId(id);
        if (write == null) {
            return new WriteResult(id, store.write(table, List.of(new RowStore.Op(id, null, ifMatch)), key).get(0),
                    true);
        }
        long v = CheckedWrites.run(store, table, List.of(id), ifMatch != null, key, cur -> {
            Row c = cur.get(0);
            if (c == null) {
                throw Access.notFound(table, id);
            }
            Access.checkBefore(write, table, id, c.data());
            checkIfMatch(id, c, ifMatch);
            return Collections.singletonList(null);
        }).get(0);
        return new WriteResult(id, v, true);
    }

    private static void checkIfMatch(String id, Row cur, Long ifMatch) throws LiveQueryException {
        if (ifMatch != null && (cur == null || cur.version() != ifMatch)) {
            throw new LiveQueryException(VERSION_MISMATCH, "row '" + id + "' is "
                    + (cur == null ? "absent" : "at version " + cur.version()) + ", not at version " + ifMatch);
        }
    }

    @Override
    public Row get(String table, String id, Where read) throws LiveQueryException {
        checkTable(table);
        Rows.checkId(id);
        Row r = store.get(table, id);
        if (r == null || !Access.admits(read, r.data())) {
            throw Access.notFound(table, id);
        }
        return r;
    }

    @Override
    public List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes, Where write)
            throws LiveQueryException {
        return batch(table, upserts, deletes, write, null);
    }

    private List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes, Where write,
            String key) throws LiveQueryException {
        checkTable(table);
        List<RowStore.Op> ops = new ArrayList<>();
        for (ObjectNode data : Rows.checkBatch(upserts, deletes, options.maxRowBytes()).rows()) {
            ops.add(new RowStore.Op(data.get("id").textValue(), data, null));
        }
        for (String id : deletes) {
            ops.add(new RowStore.Op(id, null, null));
        }
        if (ops.isEmpty()) {
            return List.of();
        }
        List<Long> vs = write == null ? store.write(table, ops, key) : checkedBatch(table, ops, write, key);
        List<WriteResult> out = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            out.add(new WriteResult(ops.get(i).id(), vs.get(i), ops.get(i).after() == null));
        }
        return out;
    }

    /** A batch under a write filter: every row checked, then all written or none. */
    private List<Long> checkedBatch(String table, List<RowStore.Op> ops, Where write, String key)
            throws LiveQueryException {
        List<String> ids = new ArrayList<>(ops.size());
        List<ObjectNode> after = new ArrayList<>(ops.size());
        for (RowStore.Op op : ops) {
            Access.checkAfter(write, op.id(), op.after());
            ids.add(op.id());
            after.add(op.after());
        }
        return CheckedWrites.run(store, table, ids, false, key, cur -> {
            for (int i = 0; i < ids.size(); i++) {
                Row c = cur.get(i);
                boolean delete = after.get(i) == null;
                if (delete && c == null || c != null && !Access.admits(write, c.data())) {
                    throw Access.notFoundInBatch(table, ids.get(i));
                }
            }
            return after;
        });
    }

    /**
     * Writes remembered under {@code key} in the write script itself (atomic with the write), so
     * a retry of a write whose answer was lost (a 503 after it was sent) cannot apply twice.
     */
    @Override
    public Backend idempotent(String key) {
        RedisBackend b = this;
        return new Backend() {
            @Override
            public WriteResult put(String t, String id, ObjectNode row, Long ifMatch, Where write)
                    throws LiveQueryException {
                return b.put(t, id, row, ifMatch, write, key);
            }

            @Override
            public WriteResult patch(String t, String id, ObjectNode f, Long ifMatch, Where write)
                    throws LiveQueryException {
                return b.patch(t, id, f, ifMatch, write, key);
            }

            @Override
            public WriteResult delete(String t, String id, Long ifMatch, Where write) throws LiveQueryException {
                return b.delete(t, id, ifMatch, write, key);
            }

            @Override
            public List<WriteResult> batch(String t, List<ObjectNode> up, List<String> del, Where write)
                    throws LiveQueryException {
                return b.batch(t, up, del, write, key);
            }

            @Override
            public Row get(String t, String id, Where read) throws LiveQueryException {
                return b.get(t, id, read);
            }

            @Override
            public QueryResult query(Query q) throws LiveQueryException {
                return b.query(q);
            }

            @Override
            public Subscription subscribe(Query q, String resume, Runnable wakeup) throws LiveQueryException {
                return b.subscribe(q, resume, wakeup);
            }

            @Override
            public boolean ready() {
                return b.ready();
            }

            @Override
            public Map<String, Long> gauges() {
                return b.gauges();
            }

            @Override
            public void close() {
                // the wrapped backend is closed by its owner
            }
        };
    }

    @Override
    public boolean ready() {
        return running.get() && !stale && !live.isEmpty();
    }

    @Override
    public Map<String, Long> gauges() {
        return Map.of("subscriptions", (long) subs.size(), "live_shards", (long) live.size(),
                "stale", stale ? 1L : 0L);
    }

    @Override
    public void close() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        for (RemoteSubscription s : List.copyOf(subs.values())) {
            s.close();
        }
        watcher.shutdownNow();
        staleCheck.shutdownNow();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            // A clean exit leaves nothing behind (a crash is cleaned up by the shards: see Shard).
            redis.cmd().del(Keys.gatewayAlive(gatewayId), Keys.delivery(gatewayId));
            redis.cmd().srem(Keys.GATEWAYS, gatewayId);
        } catch (RuntimeException ignored) {
            // expires anyway
        }
        redis.close();
    }

    // ---- validation (the same rules as the embedded backend) -------------------------------------

    private String checkTable(String name) throws LiveQueryException {
        Query.table(name);
        if (!options.tables().isEmpty() && !options.tables().contains(name)) {
            throw new LiveQueryException(UNKNOWN_TABLE, "table '" + name + "' is not in livequery.tables.allow");
        }
        return name;
    }

    private static LiveQueryException.Code code(String wire) {
        LiveQueryException.Code c = LiveQueryException.Code.fromWire(wire);
        return c == null ? UNAVAILABLE : c;
    }
}
