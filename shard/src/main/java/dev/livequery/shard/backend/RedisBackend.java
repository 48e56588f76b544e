package dev.livequery.shard.backend;

import static dev.livequery.core.LiveQueryException.Code.BAD_REQUEST;
import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.UNKNOWN_TABLE;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Frame;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LocalBackend;
import dev.livequery.core.Query;
import dev.livequery.core.QueryResult;
import dev.livequery.core.Row;
import dev.livequery.core.Rows;
import dev.livequery.core.Subscription;
import dev.livequery.core.Window;
import dev.livequery.core.WriteResult;
import dev.livequery.shard.cluster.Membership;
import dev.livequery.shard.cluster.Wire;
import dev.livequery.shard.store.Keys;
import dev.livequery.shard.store.Redis;
import dev.livequery.shard.store.RowStore;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisException;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XReadArgs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 */
public final class RedisBackend implements Backend {
    private static final Logger LOG = Logger.getLogger(RedisBackend.class.getName());
    private static final long STALE_NANOS = 3_000_000_000L;
    private static final long ACK_TIMEOUT_MS = 8_000;

    private final EngineOptions options;
    private final String gatewayId;
    private final Redis redis;
    private final RowStore store;
    private final Membership members;
    private final Map<String, RemoteSubscription> subs = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<String[]>> acks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService watcher;
    private final Thread reader;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong ids = new AtomicLong();
    private volatile List<String> live = List.of();
    private volatile long lastReadOk = System.nanoTime();
    private volatile boolean stale;
    private long ticks;
    private final Timer controlRtt;
    private final Counter reattaches;

    /** {@code uri}: {@code redis://host:port}, or {@code redis-cluster://h1:p1,h2:p2}. */
    public RedisBackend(EngineOptions options, String uri, String gatewayId, MeterRegistry metrics) {
        this.options = options;
        this.gatewayId = gatewayId;
        this.redis = Redis.connect(uri, Duration.ofSeconds(2));
        this.store = new RowStore(redis, options.horizonChanges());
        this.members = new Membership(redis);
        controlRtt = Timer.builder("livequery_gateway_control_rtt").description("subscribe/reanchor round trip to a shard")
                .tag("gateway", gatewayId).register(metrics);
        reattaches = Counter.builder("livequery_gateway_reattaches").description("subscriptions moved or repaired")
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
        LOG.info(() -> "gateway " + gatewayId + " on Redis " + uri + ": " + live.size() + " live shards");
    }

    private void heartbeat() {
        redis.cmd().set(Keys.gatewayAlive(gatewayId), "1", SetArgs.Builder.px(15_000));
    }

    // ---- subscriptions ---------------------------------------------------------------------------

    @Override
    public Subscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException {
        checkTable(query.shape().table());
        if (query.window().limit() > options.maxWindow()) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_QUERY, "limit " + query.window().limit()
                    + " is over the maximum window of " + options.maxWindow());
        }
        RemoteSubscription s = new RemoteSubscription(this, "s" + ids.incrementAndGet(), query, resume, wakeup,
                options.maxQueued());
        subs.put(s.sid, s);
        long deadline = System.nanoTime() + ACK_TIMEOUT_MS * 1_000_000L;
        try {
            while (true) {
                CompletableFuture<String[]> ack = attach(s, null, null);
                String[] r = null;
                while (r == null) {
                    try {
                        r = ack.get(200, TimeUnit.MILLISECONDS);
                    } catch (TimeoutException slice) {
                        synchronized (s) {
                            if (s.acked) {
                                return s; // the watcher moved it meanwhile (owner died) and that attach took
                            }
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
            String shard;
            synchronized (s) {
                shard = s.shard;
            }
            if (shard != null) {
                unsubscribe(shard, s.sid, null); // in case it was attached after all
            }
            throw e instanceof LiveQueryException l ? l : RowStore.unavailable((RuntimeException) e);
        }
    }

    /**
     * Sends the subscription to its owner under a new attachment id. Frames of older attachments
     * are ignored from here on. {@code rewriteFrom/To}: the cause the next reset should carry
     * instead (e.g. resume_miss → failover when the history could not follow the move).
     */
    private CompletableFuture<String[]> attach(RemoteSubscription s, String rewriteFrom, String rewriteTo)
            throws LiveQueryException {
        String owner = Membership.owner(s.partition, live);
        if (owner == null) {
            throw new LiveQueryException(UNAVAILABLE, "no live shard in the cluster (is any shard process running?)");
        }
        String att = gatewayId + "." + ids.incrementAndGet();
        String req = "r" + ids.incrementAndGet();
        String oldShard;
        String oldAtt;
        Map<String, String> body = new LinkedHashMap<>();
        CompletableFuture<String[]> f = new CompletableFuture<>();
        // Two attaches of one subscription to the same owner (subscribe's and the watcher's) must
        // reach its control stream in the order they set s.att: otherwise the shard keeps the
        // attachment the gateway has already replaced, every frame it publishes is dropped as "an
        // older attachment", and the ack of the other one leaves nothing for the watcher to repair.
        synchronized (s.attachLock) {
            synchronized (s) {
                oldShard = s.shard;
                oldAtt = s.att;
                s.att = att;
                s.shard = owner;
                s.nextBatch = 1;
                s.rewriteFrom = rewriteFrom;
                s.rewriteTo = rewriteTo;
                s.needsAttach = false;
                s.acked = false;
                s.attachSentNanos = System.nanoTime();
                body.put("op", "sub");
                body.put("gw", gatewayId);
                body.put("sid", s.sid);
                body.put("att", att);
                body.put("req", req);
                body.put("q", Wire.query(s.query));
                body.put("resume", s.lastEid == null ? "" : s.lastEid);
            }
            acks.put(req, f);
            long t0 = System.nanoTime();
            f.whenComplete((r, e) -> {
                acks.remove(req);
                controlRtt.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
                synchronized (s) {
                    if (att.equals(s.att)) {
                        if (r != null && r[0].isEmpty()) {
                            s.acked = true;
                        }
                    }
                }
            });
            if (oldShard != null && !oldShard.equals(owner)) {
                unsubscribe(oldShard, s.sid, oldAtt);
            }
            try {
                redis.cmd().xadd(Keys.control(owner), XAddArgs.Builder.maxlen(10_000).approximateTrimming(), body);
            } catch (RedisException e) {
                acks.remove(req);
                throw RowStore.unavailable(e);
            }
        }
        return f;
    }

    /** Without {@code att} (mid re-attach) the shard closes whatever attachment it has for the sid. */
    private void unsubscribe(String shard, String sid, String att) {
        Map<String, String> body = new LinkedHashMap<>(Map.of("op", "un", "gw", gatewayId, "sid", sid));
        if (att != null) {
            body.put("att", att);
        }
        sendQuietly(shard, body);
    }

    private void sendQuietly(String shard, Map<String, String> body) {
        try {
            redis.cmd().xadd(Keys.control(shard), XAddArgs.Builder.maxlen(10_000).approximateTrimming(), body);
        } catch (RedisException ignored) {
            // the shard drops orphans by itself
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

    void reanchor(RemoteSubscription s, Window w) throws LiveQueryException {
        if (w.limit() > options.maxWindow()) {
            throw new LiveQueryException(LiveQueryException.Code.BAD_QUERY, "limit " + w.limit()
                    + " is over the maximum window of " + options.maxWindow());
        }
        String req = "r" + ids.incrementAndGet();
        String shard;
        String att;
        synchronized (s) {
            shard = s.shard;
            att = s.att;
        }
        CompletableFuture<String[]> f = new CompletableFuture<>();
        acks.put(req, f);
        try {
            if (shard == null || att == null) {
                throw new LiveQueryException(UNAVAILABLE, "moving"); // mid re-attach: take the fallback below
            }
            redis.cmd().xadd(Keys.control(shard), XAddArgs.Builder.maxlen(10_000).approximateTrimming(),
                    Map.of("op", "re", "gw", gatewayId, "sid", s.sid, "att", att, "req", req, "w", Wire.window(w)));
            String[] r = await(f, System.nanoTime() + ACK_TIMEOUT_MS * 1_000_000L);
            if (r[0].isEmpty()) {
                s.query = s.query.withWindow(w);
                return;
            }
            if (!r[0].equals(Wire.NOT_OWNER)) {
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
        // Moving or unreachable: a re-attach with the new window and the last eid is the same
        // splice (old window → new window, then ready), done by whoever owns it now.
        s.query = s.query.withWindow(w);
        synchronized (s) {
            s.needsAttach = true;
        }
    }

    void closed(RemoteSubscription s) {
        subs.remove(s.sid, s);
        String shard;
        String att;
        synchronized (s) {
            shard = s.shard;
            att = s.att;
        }
        if (shard != null) {
            unsubscribe(shard, s.sid, att);
        }
    }

    // ---- delivery --------------------------------------------------------------------------------

    private void read(String from) {
        var conn = redis.dedicated();
        String pos = from;
        while (running.get()) {
            try {
                // BLOCK stays well under the 2 s command timeout.
                List<StreamMessage<String, String>> ms = conn.xread(XReadArgs.Builder.block(500).count(1000),
                        Redis.offsets(List.of(XReadArgs.StreamOffset.from(Keys.delivery(gatewayId), pos))));
                lastReadOk = System.nanoTime();
                if (stale) {
                    recovered();
                }
                for (var m : ms) {
                    pos = m.getId();
                    deliver(m.getBody());
                }
            } catch (RuntimeException e) {
                if (!running.get()) {
                    return;
                }
                if (!stale && System.nanoTime() - lastReadOk > STALE_NANOS) {
                    stale = true;
                    LOG.warning(() -> "gateway " + gatewayId + ": Redis unreachable for 3 s (" + e.getMessage()
                            + "); marking " + subs.size() + " subscriptions stale");
                    for (RemoteSubscription s : subs.values()) {
                        s.offerLocal(Frame.status("stale"));
                    }
                }
                LockSupport.parkNanos(100_000_000L);
            }
        }
    }

    private void recovered() {
        stale = false;
        LOG.info(() -> "gateway " + gatewayId + ": Redis reachable again; re-attaching " + subs.size()
                + " subscriptions to catch up");
        for (RemoteSubscription s : subs.values()) {
            s.offerLocal(Frame.status("live"));
            synchronized (s) {
                s.needsAttach = true; // frames published during the outage may be lost: resume
                s.att = null;
            }
        }
    }

    private void deliver(Map<String, String> b) {
        switch (b.getOrDefault("k", "")) {
            case "a" -> {
                CompletableFuture<String[]> f = acks.get(b.get("req"));
                if (f != null) {
                    f.complete(new String[] {b.getOrDefault("code", ""), b.getOrDefault("msg", "")});
                }
            }
            case "g" -> {
                RemoteSubscription s = subs.get(b.get("sid"));
                if (s != null) {
                    synchronized (s) {
                        if (b.get("att").equals(s.att)) {
                            LOG.fine(() -> "subscription " + s.sid + " dropped by " + s.shard + ": " + b.get("why"));
                            s.needsAttach = true;
                            s.att = null;
                        }
                    }
                }
            }
            case "f" -> frames(b);
            default -> LOG.warning(() -> "gateway " + gatewayId + ": unknown delivery entry " + b.keySet());
        }
    }

    private void frames(Map<String, String> b) {
        RemoteSubscription s = subs.get(b.get("sid"));
        if (s == null) {
            return;
        }
        synchronized (s) {
            if (!b.get("att").equals(s.att)) {
                return; // an older attachment (a previous owner, or before a repair)
            }
            long n = Long.parseLong(b.get("n"));
            if (n < s.nextBatch) {
                return; // a batch re-sent after an ambiguous error: already applied
            }
            if (n != s.nextBatch) {
                LOG.warning(() -> "subscription " + s.sid + ": batch " + n + " from " + s.shard + " but expected "
                        + s.nextBatch + "; re-attaching with resume");
                s.needsAttach = true;
                s.att = null;
                return;
            }
            s.nextBatch++;
            List<Frame> frames = new ArrayList<>();
            try {
                ArrayNode arr = (ArrayNode) Json.MAPPER.readTree(b.get("fr"));
                for (JsonNode n2 : arr) {
                    ObjectNode o = (ObjectNode) n2;
                    String op = o.path("op").asText();
                    if (s.rewriteFrom != null && "reset".equals(op)) {
                        if (s.rewriteFrom.equals(o.path("cause").asText())) {
                            o.put("cause", s.rewriteTo);
                        }
                        s.rewriteFrom = null;
                    } else if ("ready".equals(op)) {
                        s.rewriteFrom = null; // resumed without a reset: nothing to rename
                    }
                    frames.add(Frame.decode(o));
                }
            } catch (Exception e) {
                LOG.warning(() -> "subscription " + s.sid + ": undecodable frames: " + e.getMessage());
                s.needsAttach = true;
                s.att = null;
                return;
            }
            if (!s.offer(frames)) {
                LOG.info(() -> "subscription " + s.sid + " overflowed its queue; resetting it with a fresh snapshot");
                s.needsAttach = true;
                s.att = null;
                s.lastEid = null;
                s.rewriteFrom = "subscribe";
                s.rewriteTo = "overflow";
                pendingRewrite.put(s.sid, Boolean.TRUE);
            }
        }
    }

    private final Map<String, Boolean> pendingRewrite = new ConcurrentHashMap<>();

    // ---- the watcher: membership, moves, repairs -------------------------------------------------

    private void watch() {
        try {
            if (++ticks % 4 == 0) {
                heartbeat();
            }
            live = members.live();
        } catch (RuntimeException e) {
            return; // the reader marks stale; we retry next tick
        }
        for (RemoteSubscription s : List.copyOf(subs.values())) {
            if (s.closed()) {
                continue;
            }
            String owner = Membership.owner(s.partition, live);
            if (owner == null) {
                continue;
            }
            boolean moved;
            boolean repair;
            synchronized (s) {
                if (s.shard == null) {
                    // subscribe() put it in subs and is about to attach it: not "moved" (from nowhere).
                    // Attaching it here too raced that first attach (see attach) and, when it won,
                    // renamed a resume_miss to failover for a subscription that never moved.
                    continue;
                }
                moved = !owner.equals(s.shard);
                repair = s.needsAttach || (!s.acked && System.nanoTime() - s.attachSentNanos > ACK_TIMEOUT_MS * 1_000_000L);
            }
            if (!moved && !repair) {
                continue;
            }
            try {
                reattaches.increment();
                boolean overflow = pendingRewrite.remove(s.sid) != null;
                CompletableFuture<String[]> f = overflow ? attach(s, "subscribe", "overflow")
                        : attach(s, "resume_miss", "failover");
                f.whenComplete((r, e) -> {
                    if (r != null && !r[0].isEmpty()) {
                        synchronized (s) {
                            s.needsAttach = true;
                        }
                        if (overflow) {
                            pendingRewrite.put(s.sid, Boolean.TRUE);
                        }
                    }
                });
            } catch (LiveQueryException e) {
                synchronized (s) {
                    s.needsAttach = true;
                }
            }
        }
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
        try (LocalBackend tmp = new LocalBackend(options, epoch)) {
            tmp.restore(table, ts.rows(), ts.seq(), "subscribe");
            return tmp.query(query);
        }
    }

    @Override
    public WriteResult put(String table, String id, ObjectNode row, Long ifMatch) throws LiveQueryException {
        checkTable(table);
        ObjectNode data = Rows.copy(id, row);
        long v = store.write(table, List.of(new RowStore.Op(id, data, ifMatch))).get(0);
        return new WriteResult(id, v, false);
    }

    @Override
    public WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch) throws LiveQueryException {
        checkTable(table);
        Rows.checkPatch(id, fields);
        for (int attempt = 0; attempt < 50; attempt++) {
            Row cur = store.get(table, id);
            if (cur == null) {
                throw new LiveQueryException(NOT_FOUND, "row '" + id + "' does not exist in table '" + table + "'");
            }
            if (ifMatch != null && cur.version() != ifMatch) {
                throw new LiveQueryException(VERSION_MISMATCH, "row '" + id + "' is at version " + cur.version()
                        + ", not at version " + ifMatch);
            }
            ObjectNode merged = cur.data().deepCopy();
            fields.fields().forEachRemaining(e -> {
                if (e.getValue().isNull()) {
                    merged.remove(e.getKey());
                } else {
                    merged.set(e.getKey(), e.getValue().deepCopy());
                }
            });
            merged.put("id", id);
            try {
                long v = store.write(table, List.of(new RowStore.Op(id, Rows.copy(id, merged), cur.version()))).get(0);
                return new WriteResult(id, v, false);
            } catch (LiveQueryException e) {
                if (e.code() != VERSION_MISMATCH || ifMatch != null) {
                    if (e.code() == VERSION_MISMATCH && ifMatch != null) {
                        throw new LiveQueryException(VERSION_MISMATCH, "row '" + id + "' changed; not at version "
                                + ifMatch);
                    }
                    throw e;
                }
                // another writer came between our read and write: merge again onto the new row
            }
        }
        throw new LiveQueryException(UNAVAILABLE, "row '" + id + "' is changing too fast to patch; retry");
    }

    @Override
    public WriteResult delete(String table, String id, Long ifMatch) throws LiveQueryException {
        checkTable(table);
        Rows.checkId(id);
        long v = store.write(table, List.of(new RowStore.Op(id, null, ifMatch))).get(0);
        return new WriteResult(id, v, true);
    }

    @Override
    public Row get(String table, String id) throws LiveQueryException {
        checkTable(table);
        Rows.checkId(id);
        Row r = store.get(table, id);
        if (r == null) {
            throw new LiveQueryException(NOT_FOUND, "row '" + id + "' does not exist in table '" + table + "'");
        }
        return r;
    }

    @Override
    public List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes)
            throws LiveQueryException {
        checkTable(table);
        List<RowStore.Op> ops = new ArrayList<>();
        Set<String> ids2 = new HashSet<>();
        for (ObjectNode u : upserts) {
            JsonNode id = u.get("id");
            if (id == null || !id.isTextual()) {
                throw new LiveQueryException(BAD_REQUEST, "every upserted row needs a string id");
            }
            if (!ids2.add(id.textValue())) {
                throw new LiveQueryException(BAD_REQUEST, "row '" + id.textValue() + "' appears twice in the batch");
            }
            ops.add(new RowStore.Op(id.textValue(), Rows.copy(id.textValue(), u), null));
        }
        for (String id : deletes) {
            Rows.checkId(id);
            if (!ids2.add(id)) {
                throw new LiveQueryException(BAD_REQUEST, "row '" + id + "' appears twice in the batch");
            }
            ops.add(new RowStore.Op(id, null, null));
        }
        if (ops.isEmpty()) {
            return List.of();
        }
        List<Long> vs = store.write(table, ops);
        List<WriteResult> out = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            out.add(new WriteResult(ops.get(i).id(), vs.get(i), ops.get(i).after() == null));
        }
        return out;
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
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            redis.cmd().del(Keys.gatewayAlive(gatewayId));
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
