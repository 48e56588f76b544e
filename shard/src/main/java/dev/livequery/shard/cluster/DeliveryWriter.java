package dev.livequery.shard.cluster;

import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.XAddArgs;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Sends one {@link Publisher} round to the gateways' delivery streams and settles each batch by
 * the answer. Every entry is numbered here, per gateway, the moment it is written into a call
 * ({@link DeliveryEntry#seq()}), so a number is never reused, whether the call succeeds or not.
 * Frames go out only while the lease they carry still owns their partition: on a standalone
 * Redis the lease check and the {@code XADD} are one script per gateway (chunked), all calls
 * pipelined on one connection so they are applied in order; on a Redis Cluster (cross-slot) the
 * check and the add are separate commands, and the gateway's attachment filter is the guarantee.
 *
 * <p>Settling, per batch: added, it is no longer unsent and its lag is recorded; refused by the
 * fence, it is dropped and {@code refused} is told (the lease is not ours); not answered, it stays
 * unsent and goes out again next round under the same batch number (the gateway ignores a
 * duplicate). A gateway whose heartbeat expired gets nothing: its batches are dropped and
 * {@code gatewayGone} is told. A notice (ack, gone, tick) is never sent again: a lost one shows as
 * a gap in the sequence, and the gateway repairs.
 *
 * <p>A gateway's sequence is kept only while the gateway is plausibly alive (gateway ids are
 * random per process unless configured, so every gateway that ever existed would otherwise stay
 * here for good): it is dropped when a publish finds the gateway's heartbeat gone, or when nothing
 * was sent to it for {@link #IDLE_NANOS}. A sequence started afterwards does not start again at 1:
 * it starts above every number of every sequence dropped before, leaving one number out, so a
 * gateway that still remembers the old one sees a gap and repairs (re-attaches that sender's
 * subscriptions with resume), as it does when a publish was refused. Started again at 1, the
 * gateway would drop the new entries as duplicates of ones it had, acks and frames alike, until
 * the numbers passed the old ones; and starting just anywhere, one could pass for the next.
 *
 * <p>Publisher thread only: the sequence numbers, and the {@link Hosted#unsent} of every batch it
 * is given, are read and written on that thread alone ({@link #gateways} excepted).
 */
final class DeliveryWriter {
    // The publisher's logger: these lines were its own, and a logging setup that turns them on names it.
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
    /**
     * A gateway sent nothing for this long loses its sequence. Well above the minute after which a
     * gateway forgets a silent sender, so one that is alive and merely quiet here takes the next
     * sequence for a new one, with no repair; one that still remembers us repairs, no worse. Any
     * gateway with attachments here gets a tick twice a second, so it is never idle.
     */
    static final long IDLE_NANOS = 5 * 60_000_000_000L;
    /** Idle sequences are looked for at most this often. */
    private static final long SWEEP_NANOS = 10_000_000_000L;

    /** One entry ready to go: {@code lease} is empty for unfenced notices (then {@code h} is null). */
    record Out(Hosted h, String lease, Delivery body, long madeNanos) {}

    private final String sender;
    private final Redis redis;
    private final BiConsumer<Hosted, String> refused;
    private final Consumer<String> gatewayGone;
    private final Timer publishLag;
    private final LongSupplier nanoTime;

    /** One gateway's sequence: the last number given, and when. */
    private static final class Sequence {
        long last;
        long usedNanos;

        Sequence(long last) {
            this.last = last;
        }
    }

    /** Per gateway (concurrent only so that {@link #gateways} can be read off the publisher thread). */
    private final Map<String, Sequence> seqs = new ConcurrentHashMap<>();
    /** At least one past the last number of every sequence dropped: new sequences start above it. */
    private long floor;

    private long nextSweep;

    DeliveryWriter(
            String sender,
            Redis redis,
            BiConsumer<Hosted, String> refused,
            Consumer<String> gatewayGone,
            Timer publishLag,
            LongSupplier nanoTime) {
        this.sender = sender;
        this.redis = redis;
        this.refused = refused;
        this.gatewayGone = gatewayGone;
        this.publishLag = publishLag;
        this.nanoTime = nanoTime;
        this.nextSweep = nanoTime.getAsLong() + SWEEP_NANOS;
    }

    /** Sends every gateway's entries, in their order. Returns true if any batch is left unsent. */
    boolean send(Map<String, List<Out>> byGateway) {
        long now = nanoTime.getAsLong();
        if (now - nextSweep >= 0) {
            nextSweep = now + SWEEP_NANOS;
            for (var it = seqs.values().iterator(); it.hasNext(); ) {
                Sequence s = it.next();
                if (now - s.usedNanos > IDLE_NANOS) {
                    it.remove();
                    raiseFloor(s);
                }
            }
        }
        return redis.cluster() ? sendCluster(byGateway) : sendFenced(byGateway);
    }

    /** Gateways this writer keeps a sequence for (any thread). */
    int gateways() {
        return seqs.size();
    }

    private DeliveryEntry entry(String gw, Delivery body) {
        Sequence s = seqs.computeIfAbsent(gw, g -> new Sequence(floor));
        s.last++;
        s.usedNanos = nanoTime.getAsLong();
        return new DeliveryEntry(sender, s.last, body);
    }

    /** The gateway's heartbeat is gone: so is its sequence (see the class). */
    private void forget(String gw) {
        Sequence s = seqs.remove(gw);
        if (s != null) {
            raiseFloor(s);
        }
    }

    /**
     * Raises the floor past the dropped sequence's last number, leaving the number after it unused:
     * the gateway's next sequence starts at least two past it, so it cannot pass for the next.
     */
    private void raiseFloor(Sequence s) {
        floor = Math.max(floor, s.last + 1);
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
                forget(chunkGw.get(c));
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
                forget(gw);
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
