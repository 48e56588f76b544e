package dev.livequery.redis.backend;

import dev.livequery.core.Guard;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LogPace;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import io.lettuce.core.SetArgs;
import io.micrometer.core.instrument.Counter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The gateway's health over time, on three threads of its own, each every 250 ms: the watcher
 * refreshes the heartbeat and the live members and moves or repairs attachments (at most
 * {@link #REPAIR_BUDGET} a tick, so a wave is spread); the progress reader reads the heads of the
 * change streams of the partitions with attachments here for the {@link Progress} check; the
 * stale check, with no Redis call, tells windows stale and picks the ones due for a re-attach.
 * Apart because the watcher's calls are serial and can take seconds on a slow link, and that is
 * exactly when a window must be told: a head read queued behind them would start the progress
 * check's clock late (a slow link made a window silently stale for 3.3 s that way).
 */
final class Watcher {
    private static final Logger LOG = Logger.getLogger(Watcher.class.getName());
    private static final long REPAIR_EVERY_NANOS = 10_000_000_000L;
    /** Re-attaches per watcher tick (250 ms) at most: a repair wave is spread, not a herd. */
    private static final int REPAIR_BUDGET = 200;

    static final long HEARTBEAT_TTL_MS = 15_000;

    private final Attachments subs;
    private final DeliveryReader reader;
    private final Redis redis;
    private final String gatewayId;
    private final String incarnation;
    private final Counter reattaches;
    private final Progress progress;
    private final StreamHeads heads;
    /**
     * The heartbeat's clock ({@link System#nanoTime}; a test's own). Only the heartbeat's: the other
     * checks compare with times taken elsewhere on {@code System.nanoTime}.
     */
    private final LongSupplier nanoTime;
    /** Subscriptions the stale check found due for a re-attach; the watcher does it. */
    private final Set<RemoteSubscription> due = ConcurrentHashMap.newKeySet();

    private final ScheduledExecutorService watcher;
    private final ScheduledExecutorService progressReader;
    private final ScheduledExecutorService staleCheck;
    /** The live members as the watcher last read them; null until it has (read by the progress reader). */
    private volatile List<String> live;

    /** When the last heartbeat whose reply we read was sent (nanoTime); 0 before the first. */
    private long confirmedNanos;
    /** One shared-id line a minute. */
    private final LogPace sharedIdLog = new LogPace(TimeUnit.MINUTES.toNanos(1), System::nanoTime);

    private long ticks;
    private long lastCheckNanos;
    /** Partitions last found overdue by the progress check, for the log (stale-check thread only). */
    private Set<Integer> overdue = Set.of();

    private long checks;

    Watcher(
            Attachments subs,
            DeliveryReader reader,
            Redis redis,
            String gatewayId,
            String incarnation,
            Counter reattaches,
            Progress progress,
            LongSupplier nanoTime) {
        this.subs = subs;
        this.reader = reader;
        this.redis = redis;
        this.gatewayId = gatewayId;
        this.incarnation = incarnation;
        this.reattaches = reattaches;
        this.progress = progress;
        this.nanoTime = nanoTime;
        this.heads = new StreamHeads(redis);
        watcher = daemon("watch");
        progressReader = daemon("progress");
        staleCheck = daemon("stale");
    }

    private ScheduledExecutorService daemon(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "redis-backend-" + gatewayId + "-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        // Guarded: a tick that throws, even an Error, must not end its schedule for good.
        watcher.scheduleWithFixedDelay(
                Guard.round(LOG, "the cluster watcher's tick", this::watch), 250, 250, TimeUnit.MILLISECONDS);
        progressReader.scheduleWithFixedDelay(
                Guard.round(LOG, "the progress reader's tick", this::readProgress), 250, 250, TimeUnit.MILLISECONDS);
        staleCheck.scheduleWithFixedDelay(
                Guard.round(LOG, "the stale check's tick", this::checkStale), 250, 250, TimeUnit.MILLISECONDS);
    }

    void stop() {
        watcher.shutdownNow();
        progressReader.shutdownNow();
        staleCheck.shutdownNow();
    }

    /**
     * Refreshes our heartbeat and reads back what it replaced. Nothing there means it expired:
     * this gateway was paused (GC, SIGSTOP) or cut off long enough for shards to presume it dead,
     * close its subscriptions and delete its stream, so every subscription is re-attached.
     *
     * <p>No reply read for a whole TTL counts as expired too. A heartbeat whose reply was lost (sent
     * as the process froze, answered after its command timeout had fired) may have found the key
     * gone and set it again; the next one then reads our own value back and would miss the
     * expiry, leaving the windows the shards dropped silent until a repair. Re-attaching with
     * resume when the key may still have been alive costs one round and no client a reset.
     */
    void heartbeat() {
        long sent = nanoTime.getAsLong();
        String before =
                redis.cmd().setGet(Keys.gatewayAlive(gatewayId), incarnation, SetArgs.Builder.px(HEARTBEAT_TTL_MS));
        redis.cmd().sadd(Keys.GATEWAYS, gatewayId);
        if (confirmedNanos != 0 && before != null && !before.equals(incarnation) && sharedIdLog.admit() >= 0) {
            // Another process wrote this id's heartbeat since our last one: two gateways share a
            // configured livequery.gateway.id. Shards take the attachments of the process whose
            // incarnation the heartbeat does not hold for an earlier one's and close them, so the
            // two keep undoing each other's subscriptions.
            LOG.severe(() -> "gateway " + gatewayId + ": another process (" + before + ") uses this gateway id; "
                    + "each gateway process needs its own livequery.gateway.id, or none (a random one)");
        }
        boolean lapsed = sent - confirmedNanos > TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_TTL_MS);
        if (confirmedNanos != 0 && (before == null || lapsed)) {
            String why = before == null
                    ? " (this process was paused or cut off for over " + HEARTBEAT_TTL_MS / 1000
                            + " s), so shards dropped its subscriptions"
                    : " or may have (no reply confirmed it for over " + HEARTBEAT_TTL_MS / 1000
                            + " s), so shards may have dropped its subscriptions";
            LOG.warning(() -> "gateway " + gatewayId + ": its heartbeat had expired" + why + "; re-attaching "
                    + subs.size() + " with resume");
            for (RemoteSubscription s : subs.all()) {
                s.detachAll();
            }
        }
        confirmedNanos = sent;
    }

    /** Tells windows stale. Its own thread and no Redis call (see the class). */
    private void checkStale() {
        long woke = System.nanoTime();
        if (lastCheckNanos != 0 && woke - lastCheckNanos > DeliveryReader.STALE_NANOS) {
            // This process was paused (GC, SIGSTOP) or starved: whatever it read just now may be
            // old news, so every window is stale until its shard is heard from again.
            long ms = (woke - lastCheckNanos) / 1_000_000;
            LOG.warning(() -> "gateway " + gatewayId + ": this process did not run for " + ms + " ms; marking "
                    + subs.size() + " subscriptions stale until their shards are heard from");
            for (RemoteSubscription s : subs.all()) {
                s.stale();
            }
        }
        lastCheckNanos = woke;
        logOverdue(woke);
        for (RemoteSubscription s : subs.all()) {
            if (s.closed() || !s.placed()) {
                // Not placed: subscribe() put it in subs and is about to attach it.
                continue;
            }
            if (s.check(
                    woke,
                    reader.lastHeard(s.sender()),
                    DeliveryReader.STALE_NANOS,
                    Attachments.ACK_TIMEOUT_NANOS,
                    REPAIR_EVERY_NANOS)) {
                due.add(s);
            }
        }
    }

    /** Logs partitions whose owner starts or stops lagging behind its change stream. */
    private void logOverdue(long now) {
        Map<Integer, String> found = progress.overdue(now);
        for (var e : found.entrySet()) {
            if (!overdue.contains(e.getKey()) || checks % 40 == 0) {
                LOG.warning(() -> "gateway " + gatewayId + ": partition " + e.getKey()
                        + " lags behind its change stream" + " on its owner " + e.getValue()
                        + "; its subscriptions are stale until it catches up");
            }
        }
        for (int p : overdue) {
            if (!found.containsKey(p)) {
                LOG.info(
                        () -> "gateway " + gatewayId + ": partition " + p + " no longer lags behind its change stream");
            }
        }
        overdue = Set.copyOf(found.keySet());
        checks++;
    }

    private void watch() {
        subs.expireUnanswered(System.nanoTime());
        List<String> live;
        try {
            if (++ticks % 4 == 0) {
                heartbeat();
            }
            live = subs.refreshLive();
        } catch (RuntimeException e) {
            return; // the reader marks stale; we retry next tick
        }
        this.live = live;
        long now = System.nanoTime();
        List<RemoteSubscription> repair = new ArrayList<>();
        for (RemoteSubscription s : subs.all()) {
            if (s.closed() || !s.placed()) {
                continue;
            }
            String owner = Membership.owner(s.partition, live);
            boolean isDue = due.remove(s) || s.needsRepair(now);
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
                // A refusal needs no callback here: the subscription hears it itself, and only
                // while that attach is still its own (RemoteSubscription.answered / failed). Here it
                // re-attached whatever the attach, so a waiting request failed after it had been
                // replaced (a repair of its shard fails every request waiting there) re-attached
                // a healthy subscription: a needless resume, or a loop with a shard that drops
                // the waiting subscribes a newer one replaces.
                subs.attach(s, "resume_miss", "failover");
            } catch (LiveQueryException e) {
                s.needsAttach();
            }
        }
        reader.forgetSilent(now);
    }

    /** The progress reader's tick: on its own thread, so slow watcher calls never delay it. */
    private void readProgress() {
        List<String> members = live;
        if (members == null) {
            return; // the watcher has not read the members yet
        }
        try {
            observeProgress(members);
        } catch (RuntimeException e) {
            // Never let it end the scheduled reader: the next tick tries again.
            LOG.warning(() -> "gateway " + gatewayId + ": progress check failed: " + e);
        }
    }

    /**
     * Reads the head of the change stream of every partition attached here to its owner (one
     * round trip) and hands it to {@link Progress}. A partition is kept while a subscription is
     * placed on the shard that owns it in our view of the members (a re-attach to the same owner,
     * e.g. after a lost entry, keeps its observation and its age); new heads are observed only
     * through subscriptions that owner acknowledged (it reports positions of what it hosts). An
     * owner change starts afresh. With no live owner (every shard paused or gone) the shard a
     * subscription is placed on stays its owner here, so its observations keep aging: such windows
     * are told stale 2 s after a write they miss, whenever the last tick came.
     */
    private void observeProgress(List<String> live) {
        Map<Integer, String> owners = new HashMap<>();
        Map<Integer, String> acked = new HashMap<>();
        for (RemoteSubscription s : subs.all()) {
            String owner = Membership.owner(s.partition, live);
            if (owner == null) {
                owner = s.shard();
            }
            if (s.closed() || owner == null || !owner.equals(s.shard())) {
                continue;
            }
            owners.put(s.partition, owner);
            if (s.isAcked() && s.att() != null) {
                acked.put(s.partition, owner);
            }
        }
        progress.retain(owners);
        if (acked.isEmpty()) {
            return;
        }
        List<Integer> ps = new ArrayList<>(acked.keySet());
        List<String> head;
        try {
            head = heads.read(ps);
        } catch (RuntimeException e) {
            return; // Redis unreachable from here: the reader tells stale; try again next tick
        }
        long now = System.nanoTime(); // when we learnt the heads: never older than they are
        for (int i = 0; i < ps.size(); i++) {
            progress.observe(ps.get(i), acked.get(ps.get(i)), head.get(i), now);
        }
    }
}
