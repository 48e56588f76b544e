package dev.livequery.shard.cluster;

import dev.livequery.core.Frame;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.cluster.Wire;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.XAddArgs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The only writer of gateways' delivery streams for one shard. Everything a shard tells a gateway
 * (frames, acks, gones, ticks) goes through its one queue and out in queue order, numbered per
 * gateway ({@link DeliveryEntry#seq()}), so a gateway can tell a lost entry from a quiet shard.
 *
 * <p>Each round takes every subscription that is dirty now and every queued notice, drains the
 * subscriptions, and sends the entries of one gateway in one fenced script call (chunked), the
 * calls of all gateways pipelined on one connection, so they are applied in order. A batch is
 * kept as unsent from the moment it is made until its call succeeds: if the call fails, or the
 * round fails in any other way (its subscriptions are woken again), it is sent first next time
 * (same batch number); a sequence number used is not reused, so the gateway sees the gap and
 * repairs rather than trusting the order. A subscription whose frames cannot be made into a
 * batch (its drain or their encoding failed) is told gone, so its gateway re-attaches it.
 *
 * <p>Twice a second it sends a {@link Delivery.Tick} to every gateway with attachments here: a
 * gateway that hears nothing from a sender for 2 s tells those subscribers {@code status stale}.
 * The tick carries, per partition hosting that gateway's attachments, the last change-stream id
 * the engine applied, read before the round's subscriptions are drained: every frame of those
 * changes goes out before the tick, so "applied" at the gateway means "delivered". A partition
 * where a subscription still has frames queued after the round's drain is left out of its
 * gateway's tick (a round sends at most 256 frames a subscription). It also carries the digest
 * of the ids of that gateway's attachments here ({@link Delivery.Tick#digest}), so the gateway
 * can tell when the shard hosts other attachments than it holds, not only fewer.
 * A failure of this loop is logged and the loop goes on; if the thread dies all the same, the
 * ticks stop and the gateways say so to their clients.
 */
final class Publisher {
    private static final Logger LOG = Logger.getLogger(Publisher.class.getName());

    // KEYS: delivery, gateway heartbeat, then per entry the owner key of its partition (the delivery
    // key for unfenced entries). ARGV: maxlen, then per entry: lease ('' = unfenced), field count,
    // fields. An entry goes out only if we still hold its partition's lease with our fence (a
    // paused owner that lost it publishes nothing); nothing goes to a gateway whose heartbeat
    // expired (its stream is being deleted; writing would bring it back). Answers, per entry,
    // 1 = added, 0 = refused by the fence; or {-1}: the gateway is gone.
    private static final Redis.Script PUBLISH = Redis.Script.of("""
            if redis.call('EXISTS', KEYS[2]) == 0 then return {-1} end
            local out = {}
            local a = 2
            for i = 3, #KEYS do
              local lease, nf = ARGV[a], tonumber(ARGV[a + 1])
              if lease == '' or redis.call('GET', KEYS[i]) == lease then
                redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, a + 2, a + 1 + nf))
                out[#out + 1] = 1
              else
                out[#out + 1] = 0
              end
              a = a + 2 + nf
            end
            return out
            """);
    /** Entries per publish call at most (bounds one script's arguments). */
    private static final int PUBLISH_CHUNK = 64;
    /** A cap only: gateways trim what they have read; this bounds a gateway that stopped reading. */
    static final int DELIVERY_MAXLEN = 100_000;

    /** Ticks twice a second: a gateway tells stale after 2 s without a word (four ticks missed). */
    static final long TICK_NANOS = 500_000_000L;

    /** A message that is not a subscription's frames (ack, gone, tick). */
    private record Notice(String gw, Delivery body) {}

    /** One entry ready to go: {@code lease} is empty for unfenced notices. */
    private record Out(Hosted h, String lease, Delivery body, long madeNanos) {}

    private final String shardId;
    private final String sender;
    private final Redis redis;
    private final Map<Integer, String> leases;
    private final Supplier<Collection<Hosted>> hosted;
    /** Partition → last change-stream id its engine applied (null: not loaded). */
    private final IntFunction<String> applied;

    private final BiConsumer<Hosted, String> refused;
    private final Consumer<String> gatewayGone;
    private final Timer publishLag;
    private final Counter failures;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Map<String, Long> seqs = new HashMap<>();
    private long nextTick = System.nanoTime();
    /** Runs after a round's batches are made, before they are sent: a test's fault goes here. */
    Runnable beforeSend = () -> {};

    Publisher(
            String shardId,
            String sender,
            Redis redis,
            Map<Integer, String> leases,
            Supplier<Collection<Hosted>> hosted,
            IntFunction<String> applied,
            BiConsumer<Hosted, String> refused,
            Consumer<String> gatewayGone,
            Timer publishLag,
            Counter failures) {
        this.shardId = shardId;
        this.sender = sender;
        this.redis = redis;
        this.leases = leases;
        this.hosted = hosted;
        this.applied = applied;
        this.refused = refused;
        this.gatewayGone = gatewayGone;
        this.publishLag = publishLag;
        this.failures = failures;
    }

    String sender() {
        return sender;
    }

    /** The subscription has frames to send (or a batch to re-send). */
    void wake(Hosted h) {
        if (h.sub != null && !h.closed && h.queued.compareAndSet(false, true)) {
            queue.add(h);
        }
    }

    /** Queues an ack or gone for a gateway; it goes out after everything queued before it. */
    void notify(String gw, Delivery body) {
        queue.add(new Notice(gw, body));
    }

    /** The loop; returns when {@code running} turns false. */
    void run(Supplier<Boolean> running) {
        List<Object> round = new ArrayList<>();
        List<Frame> frames = new ArrayList<>();
        while (running.get()) {
            try {
                Object first = queue.poll(200, TimeUnit.MILLISECONDS);
                round.clear();
                List<Notice> ticks = List.of();
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    nextTick = now + TICK_NANOS;
                    // Positions first, then the queue: a change applied by then has woken its
                    // subscriptions, so their frames are drained in this round, ahead of the tick.
                    ticks = ticks();
                }
                if (first != null) {
                    round.add(first);
                    queue.drainTo(round);
                }
                round.addAll(ticks);
                if (!round.isEmpty()) {
                    publish(round, frames);
                }
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                // Never die quietly: a dead publisher with a live lease thread would freeze every
                // window here while the shard still looks healthy.
                failures.increment();
                LOG.log(Level.SEVERE, "shard " + shardId + ": publisher round failed; continuing", t);
                // What the round drained is kept as unsent, the rest is still queued: wake its
                // subscriptions, else a quiet window would wait for its next change to get it.
                for (Object o : round) {
                    if (o instanceof Hosted h) {
                        wake(h);
                    }
                }
                LockSupport.parkNanos(100_000_000L);
            }
        }
    }

    private List<Notice> ticks() {
        Map<String, Integer> perGateway = new HashMap<>();
        Map<String, Long> digests = new HashMap<>();
        Map<String, Map<Integer, String>> positions = new HashMap<>();
        Map<Integer, String> byPartition = new HashMap<>();
        for (Hosted h : hosted.get()) {
            if (!h.closed) {
                perGateway.merge(h.gw, 1, Integer::sum);
                digests.merge(h.gw, Delivery.Tick.hash(h.att), (a, b) -> a ^ b);
                String id = byPartition.computeIfAbsent(h.p, applied::apply);
                if (id != null) {
                    positions.computeIfAbsent(h.gw, g -> new HashMap<>()).put(h.p, id);
                }
            }
        }
        List<Notice> out = new ArrayList<>(perGateway.size());
        perGateway.forEach((gw, n) ->
                out.add(new Notice(gw, new Delivery.Tick(n, positions.getOrDefault(gw, Map.of()), digests.get(gw)))));
        return out;
    }

    private void publish(List<Object> round, List<Frame> frames) {
        // Every subscription of the round is out of the queue from here on, so that a wake (this
        // round's own, or its catch's after a failure) puts it back.
        for (Object o : round) {
            if (o instanceof Hosted h) {
                h.queued.set(false);
            }
        }
        Map<String, List<Out>> byGateway = new LinkedHashMap<>();
        // Per gateway, partitions where a subscription still has frames queued after its drain.
        Map<String, Set<Integer>> behind = new HashMap<>();
        for (Object o : round) {
            if (o instanceof Notice n) {
                Delivery body = n.body();
                if (body instanceof Delivery.Tick t && behind.containsKey(n.gw())) {
                    // Ticks come last in a round, so every drain of the round is known here.
                    body = withholding(t, behind.get(n.gw()));
                }
                byGateway.computeIfAbsent(n.gw(), g -> new ArrayList<>()).add(new Out(null, "", body, 0));
                continue;
            }
            Hosted h = (Hosted) o;
            if (h.closed) {
                continue;
            }
            String lease = leases.get(h.p);
            if (lease == null) {
                continue; // partition dropped; the gateway has been told to re-attach
            }
            Delivery.Frames batch = h.unsent;
            long made = h.unsentMade;
            if (batch == null) {
                frames.clear();
                try {
                    if (h.sub.drain(frames, 256) == 0) {
                        continue;
                    }
                    made = frames.get(0).createdNanos();
                    batch = new Delivery.Frames(
                            h.sid, h.att, h.batches.incrementAndGet(), h.p, lease, Wire.frames(frames));
                } catch (RuntimeException e) {
                    // Whatever it drained is lost (the engine's drain or the frames' encoding
                    // failed): the gateway re-attaches it with resume, which sends what it lacks.
                    // The other subscriptions of the round go out as usual.
                    failures.increment();
                    LOG.log(
                            Level.SEVERE,
                            "shard " + shardId + ": frames of " + h.key() + " could not be published; telling its"
                                    + " gateway to re-attach",
                            e);
                    byGateway
                            .computeIfAbsent(h.gw, g -> new ArrayList<>())
                            .add(new Out(null, "", new Delivery.Gone(h.sid, h.att, "publish failed"), 0));
                    continue;
                }
                // Kept as unsent at once: if anything fails before it is sent, it goes out next
                // time under the same number, never dropped with its number used up.
                h.unsent = batch;
                h.unsentMade = made;
            } else {
                batch = batch.withLease(lease);
            }
            byGateway.computeIfAbsent(h.gw, g -> new ArrayList<>()).add(new Out(h, lease, batch, made));
            if (h.sub.queued() > 0) {
                behind.computeIfAbsent(h.gw, g -> new HashSet<>()).add(h.p);
            }
        }
        if (byGateway.isEmpty()) {
            return;
        }
        beforeSend.run();
        boolean failed = redis.cluster() ? sendCluster(byGateway) : sendFenced(byGateway);
        if (failed) {
            LockSupport.parkNanos(100_000_000L);
        }
        for (List<Out> outs : byGateway.values()) {
            for (Out o : outs) {
                if (o.h() != null
                        && !o.h().closed
                        && (o.h().unsent != null || o.h().sub.queued() > 0)) {
                    wake(o.h());
                }
            }
        }
    }

    /**
     * The tick without the positions of partitions {@code behind}: a round sends at most 256 frames
     * of a subscription, so one with more queued has not been sent all the changes its partition's
     * position counts as applied, and the gateway takes "applied" for "delivered" (it would tell a
     * window live before its frames). Left out, a partition keeps its last reported position there
     * until a tick whose round drained everything.
     */
    private static Delivery.Tick withholding(Delivery.Tick t, Set<Integer> behind) {
        Map<Integer, String> applied = new HashMap<>(t.applied());
        applied.keySet().removeAll(behind);
        return new Delivery.Tick(t.hosted(), applied, t.digest());
    }

    private DeliveryEntry entry(String gw, Delivery body) {
        long seq = seqs.merge(gw, 1L, Long::sum);
        return new DeliveryEntry(sender, seq, body);
    }

    /** Standalone Redis: one script call per gateway (chunked), all pipelined. Returns true if any failed. */
    private boolean sendFenced(Map<String, List<Out>> byGateway) {
        List<List<Out>> chunks = new ArrayList<>();
        List<String> chunkGw = new ArrayList<>();
        List<CompletableFuture<List<Long>>> calls = new ArrayList<>();
        for (var e : byGateway.entrySet()) {
            List<Out> outs = e.getValue();
            for (int from = 0; from < outs.size(); from += PUBLISH_CHUNK) {
                List<Out> chunk = outs.subList(from, Math.min(outs.size(), from + PUBLISH_CHUNK));
                String[] keys = new String[2 + chunk.size()];
                List<String> args = new ArrayList<>(1 + chunk.size() * 20);
                keys[0] = Keys.delivery(e.getKey());
                keys[1] = Keys.gatewayAlive(e.getKey());
                args.add(Integer.toString(DELIVERY_MAXLEN));
                for (int i = 0; i < chunk.size(); i++) {
                    Out o = chunk.get(i);
                    keys[2 + i] = o.h() == null ? keys[0] : Keys.owner(o.h().p);
                    String[] fields = entry(e.getKey(), o.body()).fields();
                    args.add(o.lease());
                    args.add(Integer.toString(fields.length));
                    args.addAll(List.of(fields));
                }
                chunks.add(chunk);
                chunkGw.add(e.getKey());
                CompletableFuture<List<Long>> f;
                try {
                    f = redis.evalAsync(PUBLISH, ScriptOutputType.MULTI, keys, args.toArray(String[]::new));
                } catch (RuntimeException ex) {
                    f = CompletableFuture.failedFuture(ex);
                }
                calls.add(f);
            }
        }
        boolean failed = false;
        long deadline = System.nanoTime() + redis.timeout().toNanos() + 1_000_000_000L;
        for (int c = 0; c < chunks.size(); c++) {
            List<Out> chunk = chunks.get(c);
            List<Long> r;
            try {
                r = calls.get(c).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                r = null;
            } catch (ExecutionException | TimeoutException ex) {
                Throwable cause = ex.getCause() == null ? ex : ex.getCause();
                LOG.fine(() -> "publish to a gateway failed, will retry: " + cause.getMessage());
                r = null;
            }
            if (r != null && r.size() == 1 && r.get(0) == -1L) {
                dropUnsent(chunk);
                gatewayGone.accept(chunkGw.get(c));
                continue;
            }
            for (int i = 0; i < chunk.size(); i++) {
                Out o = chunk.get(i);
                if (o.h() == null) {
                    continue; // a lost notice shows as a gap in the sequence; the gateway repairs
                }
                if (r == null || r.size() <= i) {
                    // Keep batch n and send it again: dropping it would leave a quiet window silently
                    // behind. (If it did go out before the error, the gateway ignores the duplicate n.)
                    keep(o);
                    failed = true;
                } else if (r.get(i) == 1L) {
                    sent(o);
                } else {
                    o.h().unsent = null;
                    refused.accept(o.h(), o.lease());
                }
            }
        }
        return failed;
    }

    /** Redis Cluster: cross-slot, so check, then add. The gateway's attachment filter is the guarantee here. */
    private boolean sendCluster(Map<String, List<Out>> byGateway) {
        boolean failed = false;
        for (var e : byGateway.entrySet()) {
            String gw = e.getKey();
            boolean alive;
            try {
                alive = redis.cmd().exists(Keys.gatewayAlive(gw)) > 0;
            } catch (RedisException ex) {
                alive = true; // unknown: try, and keep batches on failure below
            }
            if (!alive) {
                dropUnsent(e.getValue());
                gatewayGone.accept(gw);
                continue;
            }
            for (Out o : e.getValue()) {
                DeliveryEntry entry = entry(gw, o.body());
                try {
                    if (o.h() == null || o.lease().equals(redis.cmd().get(Keys.owner(o.h().p)))) {
                        redis.cmd()
                                .xadd(
                                        Keys.delivery(gw),
                                        XAddArgs.Builder.maxlen(DELIVERY_MAXLEN).approximateTrimming(),
                                        entry.map());
                        if (o.h() != null) {
                            sent(o);
                        }
                    } else {
                        o.h().unsent = null;
                        refused.accept(o.h(), o.lease());
                    }
                } catch (RedisException ex) {
                    if (o.h() != null) {
                        keep(o);
                    }
                    failed = true;
                    LOG.fine(() -> "publish to " + gw + " failed, will retry: " + ex.getMessage());
                }
            }
        }
        return failed;
    }

    /** The gateway is gone (its subscriptions here are being closed): nothing to send it again. */
    private static void dropUnsent(List<Out> outs) {
        for (Out o : outs) {
            if (o.h() != null) {
                o.h().unsent = null;
            }
        }
    }

    private void keep(Out o) {
        o.h().unsent = (Delivery.Frames) o.body();
        o.h().unsentMade = o.madeNanos();
    }

    private void sent(Out o) {
        o.h().unsent = null;
        publishLag.record(System.nanoTime() - o.madeNanos(), TimeUnit.NANOSECONDS);
    }
}
