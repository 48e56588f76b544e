package dev.livequery.shard.cluster;

import dev.livequery.core.Engine;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LogPace;
import dev.livequery.redis.cluster.Control;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.cluster.Wire;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.StreamReader;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gateways' requests to this shard: reads its control stream (on its own thread) and carries
 * out subscribe, reanchor, unsubscribe and keep on the main thread, answering each with an ack through
 * the publisher. A subscribe for a partition this shard is about to own (rendezvous says so, the
 * lease comes at the next lease tick) waits here up to 5 s instead of being refused.
 *
 * <p>A waiting subscribe is still the gateway's latest word on its subscription only until the
 * next one: an unsubscribe of its attachment (or of the sid) drops it, and so does a newer
 * subscribe of the same sid, the rule {@code hosted} follows (a subscribe replaces the sid's
 * attachment, an unsubscribe names the attachment it drops). Carried out later regardless, it
 * would host an attachment the gateway has given up, or replace the newer one the gateway holds.
 * A dropped waiting subscribe is not answered: the gateway has given it up or replaced it, and
 * gives up waiting for its answer on its own. A {@code not_owner} would make its watcher re-attach
 * the subscription once more, and that attach would replace the one still waiting here: a loop
 * for as long as the lease takes.
 *
 * <p>A keep ({@link Control.Keep}: "of my attachments, keep only these") closes every attachment
 * of that gateway hosted here, and drops every subscribe of it waiting here, that it does not
 * list, logging how many at INFO. The gateway sends one when the digest in this shard's ticks
 * says it hosts other attachments than the gateway holds: leftovers whose unsubscribe was lost,
 * which a quiet window would otherwise keep here (and in the tick's count) for as long as the
 * gateway lives. The control stream's order makes it safe: an attachment the gateway sent after
 * the keep is not here yet, and one it sent before is in the list unless given up since.
 */
final class ControlHandler {
    private static final Logger LOG = Logger.getLogger(ControlHandler.class.getName());
    private static final long WAIT_FOR_LEASE_NANOS = 5_000_000_000L;
    /** One line per partition a minute about a partition that does not load. */
    static final long LOAD_FAILURE_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** What the handler needs of the shard's partitions (main thread only). */
    interface Parts {
        /** The engine of a partition this shard holds the lease of, loaded if need be. */
        Engine load(int p) throws LiveQueryException;

        /** The last change-stream id applied to a loaded partition's engine, or null. */
        String applied(int p);

        /** Closes an attachment's subscription and forgets it. */
        void close(Hosted h);
    }

    private record Pending(Control.Subscribe sub, long deadlineNanos) {}

    private final String shardId;
    private final Redis redis;
    private final Executor main;
    private final LeaseKeeper leases;
    private final Supplier<List<String>> live;
    private final Parts parts;
    private final Map<String, Hosted> hosted;
    private final Publisher publisher;
    /** Subscribes waiting for their lease, by gateway/sid, oldest first: one per sid (main thread only). */
    private final Map<String, Pending> pending = new LinkedHashMap<>();
    /** Partition loads refused (counted, logged paced per partition: {@link #loadFailed}). */
    private final Counter loadFailures;

    private final Map<Integer, LogPace> loadFailureLog = new HashMap<>();

    ControlHandler(
            String shardId,
            Redis redis,
            Executor main,
            LeaseKeeper leases,
            Supplier<List<String>> live,
            Parts parts,
            Map<String, Hosted> hosted,
            Publisher publisher,
            Counter loadFailures) {
        this.shardId = shardId;
        this.loadFailures = loadFailures;
        this.redis = redis;
        this.main = main;
        this.leases = leases;
        this.live = live;
        this.parts = parts;
        this.hosted = hosted;
        this.publisher = publisher;
    }

    /** The control reader's loop: from {@code from} (exclusive) while {@code running}. */
    void read(String from, BooleanSupplier running) {
        StreamReader reader = new StreamReader(
                redis, Keys.control(shardId), from, Duration.ofMillis(500), 100, Duration.ofMillis(200));
        reader.run(
                running,
                m -> {
                    Map<String, String> body = m.getBody();
                    main.execute(() -> handle(body, System.nanoTime() + WAIT_FOR_LEASE_NANOS));
                },
                n -> {
                    if (n > 0) {
                        // What we have read is ours alone: trim it, so the stream holds only what is unread.
                        reader.trimBefore(StreamReader.after(reader.position()));
                    }
                },
                e -> LOG.fine(() -> "control read failed: " + e.getMessage()));
    }

    /** On the main thread: subscribes whose lease has come (or whose wait is over). */
    void retryPending() {
        List<Pending> due = List.copyOf(pending.values());
        pending.clear();
        for (Pending pd : due) {
            carryOut(pd.sub(), pd.deadlineNanos());
        }
    }

    /** On the main thread. */
    void handle(Map<String, String> msg, long deadline) {
        Control c;
        try {
            c = Control.parse(msg);
        } catch (LiveQueryException e) {
            LOG.warning(() -> "shard " + shardId + ": bad control entry ignored (" + e.getMessage() + ")");
            String gw = msg.get("gw");
            if (gw != null) {
                ack(gw, msg.get("req"), e.code().wire(), e.getMessage());
            }
            return;
        }
        carryOut(c, deadline);
    }

    /** On the main thread: a parsed request, answered with its ack (a subscribe may wait until {@code deadline}). */
    private void carryOut(Control c, long deadline) {
        String req = c instanceof Control.Subscribe sb ? sb.req() : c instanceof Control.Reanchor r ? r.req() : null;
        try {
            switch (c) {
                case Control.Subscribe sub -> subscribe(sub, deadline);
                case Control.Reanchor re -> {
                    Hosted h = hosted.get(Hosted.key(re.gw(), re.sid()));
                    if (h == null || !h.att.equals(re.att())) {
                        ack(re.gw(), req, Wire.NOT_OWNER, "subscription " + re.sid() + " is not attached here");
                        return;
                    }
                    h.sub.reanchor(re.window());
                    ack(re.gw(), req, "", "");
                }
                case Control.Unsubscribe un -> {
                    dropPending(un.gw(), un.sid(), un.att());
                    Hosted h = hosted.get(Hosted.key(un.gw(), un.sid()));
                    if (h != null && (un.att() == null || h.att.equals(un.att()))) {
                        parts.close(h);
                    }
                }
                case Control.Keep k -> keep(k);
            }
        } catch (LiveQueryException e) {
            ack(c.gw(), req, e.code().wire(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "shard " + shardId + ": control " + c.getClass().getSimpleName() + " failed",
                    e);
            ack(c.gw(), req, LiveQueryException.Code.UNAVAILABLE.wire(), "shard failed: " + e.getMessage());
        }
    }

    private void subscribe(Control.Subscribe c, long deadline) throws LiveQueryException {
        // A subscribe still waiting for this sid is older than this one: it is replaced, as a hosted one is below.
        dropPending(c.gw(), c.sid(), null);
        int p = Keys.partition(c.query().shape().table());
        if (!leases.holds(p)) {
            if (shardId.equals(Membership.owner(p, live.get())) && System.nanoTime() < deadline) {
                pending.put(Hosted.key(c.gw(), c.sid()), new Pending(c, deadline)); // the lease comes at the next tick
            } else {
                ack(c.gw(), c.req(), Wire.NOT_OWNER, "shard " + shardId + " does not own partition " + p);
            }
            return;
        }
        Engine engine;
        try {
            engine = parts.load(p);
        } catch (LiveQueryException e) {
            loadFailed(p, e);
            throw e; // refused: the gateway sees the code, and its watcher retries with back-off
        }
        // Read before subscribing: the subscription's first frames bring its window at least this far.
        String applied = parts.applied(p);
        Hosted old = hosted.get(Hosted.key(c.gw(), c.sid()));
        if (old != null) {
            parts.close(old);
        }
        Hosted h = new Hosted(c.gw(), c.sid(), c.att(), p);
        var sub = engine.subscribe(c.query(), c.resume().isEmpty() ? null : c.resume(), () -> publisher.wake(h));
        hosted.put(h.key(), h);
        // The ack goes into the publisher's queue before the subscription can wake it (wake is a
        // no-op until h.sub is set): the gateway takes frames only from the sender that acked.
        if (c.req() != null) {
            publisher.notify(
                    c.gw(),
                    applied == null
                            ? new Delivery.Ack(c.req(), "", "")
                            : new Delivery.Ack(c.req(), "", "", p, applied));
        }
        h.sub = sub;
        publisher.wake(h);
    }

    /**
     * A partition that did not load: every subscribe to any of its tables is refused with the
     * same error until it does, so it is counted each time and logged once a minute per
     * partition (the gateways retry with back-off; without this line the shard said nothing).
     */
    private void loadFailed(int p, LiveQueryException e) {
        loadFailures.increment();
        long left = loadFailureLog
                .computeIfAbsent(p, k -> new LogPace(LOAD_FAILURE_LOG_NANOS, System::nanoTime))
                .admit();
        if (left >= 0) {
            LOG.severe(() -> "shard " + shardId + ": partition " + p + " failed to load ("
                    + e.code().wire() + ": "
                    + e.getMessage() + "); subscribes to its tables are refused until it loads"
                    + (left > 0 ? " (" + left + " more failed loads since the last line)" : ""));
        }
    }

    /**
     * Closes every attachment of the gateway hosted here, and drops every subscribe of it waiting
     * for a lease, whose id the gateway does not list: it has given them up and their unsubscribes
     * were lost (a quiet one sends no frames, so the gateway's stray handling never sees it).
     */
    private void keep(Control.Keep k) {
        Set<String> wanted = new HashSet<>(k.atts());
        List<Hosted> leftovers = hosted.values().stream()
                .filter(h -> h.gw.equals(k.gw()) && !wanted.contains(h.att))
                .toList();
        for (Hosted h : leftovers) {
            parts.close(h);
        }
        int before = pending.size();
        pending.values()
                .removeIf(pd -> pd.sub().gw().equals(k.gw())
                        && !wanted.contains(pd.sub().att()));
        int dropped = before - pending.size();
        if (!leftovers.isEmpty() || dropped > 0) {
            LOG.info(() -> "shard " + shardId + ": gateway " + k.gw() + " holds " + wanted.size()
                    + " attachments here; closed " + leftovers.size() + " others it gave up (their unsubscribes"
                    + " were lost) and dropped " + dropped + " waiting subscribes");
        }
    }

    /** Drops the subscribe waiting for gw/sid if it is of attachment {@code att} (null: whatever its attachment). */
    private void dropPending(String gw, String sid, String att) {
        String key = Hosted.key(gw, sid);
        Pending pd = pending.get(key);
        if (pd != null && (att == null || pd.sub().att().equals(att))) {
            pending.remove(key);
        }
    }

    private void ack(String gw, String req, String code, String msg) {
        if (req == null) {
            return;
        }
        publisher.notify(gw, new Delivery.Ack(req, code, msg == null ? "" : msg));
    }
}
