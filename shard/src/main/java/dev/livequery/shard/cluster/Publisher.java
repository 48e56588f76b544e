package dev.livequery.shard.cluster;

import dev.livequery.core.Frame;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.cluster.Wire;
import dev.livequery.redis.store.Redis;
import dev.livequery.shard.cluster.DeliveryWriter.Out;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
 * calls of all gateways pipelined on one connection, so they are applied in order (the calls and
 * what their answers mean for each batch are {@link DeliveryWriter}'s). A batch is
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

    /** Ticks twice a second: a gateway tells stale after 2 s without a word (four ticks missed). */
    static final long TICK_NANOS = 500_000_000L;

    /** A message that is not a subscription's frames (ack, gone, tick). */
    private record Notice(String gw, Delivery body) {}

    private final String shardId;
    private final Map<Integer, String> leases;
    private final Supplier<Collection<Hosted>> hosted;
    /** Partition → last change-stream id its engine applied (null: not loaded). */
    private final IntFunction<String> applied;

    private final Counter failures;
    private final DeliveryWriter writer;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
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
        this.leases = leases;
        this.hosted = hosted;
        this.applied = applied;
        this.failures = failures;
        this.writer = new DeliveryWriter(sender, redis, refused, gatewayGone, publishLag, System::nanoTime);
    }

    /** Gateways the writer keeps a delivery sequence for (any thread; for the gauge). */
    int gateways() {
        return writer.gateways();
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
        boolean failed = writer.send(byGateway);
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
}
