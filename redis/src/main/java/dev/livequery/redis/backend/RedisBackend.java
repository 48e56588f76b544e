package dev.livequery.redis.backend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.QueryResult;
import dev.livequery.core.Row;
import dev.livequery.core.Subscription;
import dev.livequery.core.Where;
import dev.livequery.core.WriteResult;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *
 * <p>A facade over parts with one job each: {@link RedisWrites} (writes and row reads),
 * {@link OneShotQueries}, {@link Attachments} (subscriptions and the control requests to their
 * shards), {@link DeliveryReader} (the delivery stream) and {@link Watcher} (heartbeat,
 * membership, moves, staleness, repairs).
 */
public final class RedisBackend implements Backend {
    private static final Logger LOG = Logger.getLogger(RedisBackend.class.getName());

    private final String gatewayId;
    private final Redis redis;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final RedisWrites writes;
    private final OneShotQueries queries;
    private final Attachments subs;
    private final DeliveryReader reader;
    private final Watcher watcher;

    /** {@code uri}: {@code redis://host:port}, or {@code redis-cluster://h1:p1,h2:p2}. */
    public RedisBackend(EngineOptions options, String uri, String gatewayId, MeterRegistry metrics) {
        this.gatewayId = gatewayId;
        this.redis = Redis.connect(uri, Duration.ofSeconds(2));
        RowStore store = new RowStore(redis, options);
        // Distinguishes this process from an earlier one with the same (configured) gateway id.
        String incarnation =
                HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        Timer controlRtt = Timer.builder("livequery_gateway_control_rtt")
                .description("subscribe/reanchor round trip to a shard")
                .tag("gateway", gatewayId)
                .register(metrics);
        Counter reattaches = Counter.builder("livequery_gateway_reattaches")
                .description("subscriptions moved or repaired")
                .tag("gateway", gatewayId)
                .register(metrics);
        Counter gaps = Counter.builder("livequery_gateway_delivery_gaps")
                .description("delivery entries found missing (trimmed, deleted, or a failed publish); repaired")
                .tag("gateway", gatewayId)
                .register(metrics);
        this.writes = new RedisWrites(options, store);
        this.queries = new OneShotQueries(options, store);
        Progress progress = new Progress();
        this.subs = new Attachments(options, gatewayId, incarnation, redis, controlRtt, progress);
        this.reader = new DeliveryReader(subs, redis, gatewayId, running, gaps, progress);
        this.watcher = new Watcher(subs, reader, redis, gatewayId, incarnation, reattaches, progress, System::nanoTime);
        Gauge.builder("livequery_redis_subscriptions", subs, Attachments::size)
                .tag("gateway", gatewayId)
                .register(metrics);
        Gauge.builder(
                        "livequery_gateway_control_pending",
                        subs,
                        a -> a.pending().size())
                .description("control requests to shards waiting for their answer")
                .tag("gateway", gatewayId)
                .register(metrics);
        Gauge.builder("livequery_gateway_live_shards", subs, a -> a.live().size())
                .tag("gateway", gatewayId)
                .register(metrics);
        watcher.heartbeat();
        List<String> live = subs.refreshLive();
        reader.start();
        watcher.start();
        LOG.info(() -> "gateway " + gatewayId + " on Redis " + Redis.redact(uri) + ": " + live.size() + " live shards");
    }

    @Override
    public Subscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException {
        return subs.subscribe(query, resume, wakeup);
    }

    @Override
    public QueryResult query(Query query) throws LiveQueryException {
        return queries.query(query);
    }

    // Unrestricted puts, deletes and batches are one script call; with a write filter (PROTOCOL §9)
    // they go through CheckedWrites, so the check and the write are one atomic step.

    @Override
    public WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write)
            throws LiveQueryException {
        return writes.put(table, id, row, ifMatch, write);
    }

    @Override
    public WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write)
            throws LiveQueryException {
        return writes.patch(table, id, fields, ifMatch, write);
    }

    @Override
    public WriteResult delete(String table, String id, Long ifMatch, Where write) throws LiveQueryException {
        return writes.delete(table, id, ifMatch, write);
    }

    @Override
    public Row get(String table, String id, Where read) throws LiveQueryException {
        return writes.get(table, id, read);
    }

    @Override
    public List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes, Where write)
            throws LiveQueryException {
        return writes.batch(table, upserts, deletes, write);
    }

    /**
     * Writes remembered under {@code key} in the write script itself (atomic with the write), so
     * a retry of a write whose answer was lost (a 503 after it was sent) cannot apply twice.
     */
    @Override
    public Backend idempotent(String key, String request) {
        return writes.idempotent(this, key, request);
    }

    @Override
    public boolean ready() {
        return running.get() && !reader.stale() && !subs.live().isEmpty();
    }

    @Override
    public Map<String, Long> gauges() {
        return Map.of(
                "subscriptions",
                (long) subs.size(),
                "live_shards",
                (long) subs.live().size(),
                "stale",
                reader.stale() ? 1L : 0L);
    }

    @Override
    public void close() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        for (RemoteSubscription s : List.copyOf(subs.all())) {
            s.close();
        }
        watcher.stop();
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
}
