package dev.livequery.redis.backend;

import dev.livequery.core.LogPace;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.cluster.Wire;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.redis.store.StreamReader;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Reads this gateway's delivery stream on its own thread and hands each entry to its
 * subscription or waiting request: frames, acks, "gone" and ticks. Every sender (a shard
 * incarnation) numbers its entries, so a skipped number is a lost entry and re-attaches that
 * sender's subscriptions; a tick that counts fewer of our attachments than we hold, twice
 * running, does the same. A tick whose digest of the attachment ids it hosts differs from ours,
 * twice running, gets that shard a keep (close every attachment of ours but these), and if its
 * count equals ours, the same re-attach. Also tells every window stale when Redis has not
 * answered for 2 s.
 */
final class DeliveryReader {
    private static final Logger LOG = Logger.getLogger(DeliveryReader.class.getName());
    /**
     * A window whose sender has not been heard from for this long (or whose Redis has been
     * unreachable this long) is told stale (PROTOCOL §3 status). 2 s, not 3: the promise is that no
     * window is out of date for more than 3 s without being told, and a window can fall behind
     * just after the last word from its sender; telling then takes up to a stale-check tick
     * (250 ms) and the client's own delivery. Shards tick every 500 ms, so a healthy sender is
     * never silent this long.
     */
    static final long STALE_NANOS = 2_000_000_000L;
    /** Read delivery entries stay this long for operators (XRANGE) before this gateway trims them. */
    private static final long KEEP_READ_MS = 30_000;

    /** What we know of one sender (a shard incarnation) writing to our delivery stream. */
    private static final class Sender {
        final String shard;
        volatile long nextSeq = -1;
        volatile long lastHeardNanos = System.nanoTime();
        int shortTicks;
        /** Ticks running whose digest differs from ours (reader thread only). */
        int otherTicks;
        /** When we last sent this sender's shard a keep (reader thread only). */
        long lastKeepNanos = System.nanoTime() - KEEP_EVERY_NANOS;

        Sender(String shard) {
            this.shard = shard;
        }
    }

    private final Attachments subs;
    private final Redis redis;
    private final String gatewayId;
    private final AtomicBoolean running;
    private final Counter gaps;
    private final Progress progress;
    private final Map<String, Sender> senders = new ConcurrentHashMap<>();
    /**
     * A stray attachment is asked to drop again if its frames still come this long after: the
     * unsubscribe may have been lost (trimmed, or sent while Redis was unreachable).
     */
    static final long STRAY_REASK_NANOS = 5_000_000_000L;

    /**
     * A sender whose digest keeps differing from ours gets a keep at most this often: the first
     * closes the leftovers; if the ticks still differ after that, something else is going on
     * (another process under our id?) and one message per few seconds is enough to find out.
     */
    static final long KEEP_EVERY_NANOS = 5_000_000_000L;

    /** Attachments we asked a shard to drop (frames kept coming for them), with when; bounded. */
    private final Map<String, Long> strays = new ConcurrentHashMap<>();

    /** One refused re-attach line a minute per partition ({@link #refused}). */
    static final long REFUSAL_LOG_NANOS = 60_000_000_000L;

    private final Map<Integer, LogPace> refusalLog = new ConcurrentHashMap<>();

    private volatile long lastReadOk = System.nanoTime();
    private volatile boolean stale;
    private Thread thread;

    DeliveryReader(
            Attachments subs, Redis redis, String gatewayId, AtomicBoolean running, Counter gaps, Progress progress) {
        this.subs = subs;
        this.redis = redis;
        this.gatewayId = gatewayId;
        this.running = running;
        this.gaps = gaps;
        this.progress = progress;
    }

    /** Starts reading after the stream's newest entry: what came before was for an earlier process. */
    void start() {
        List<StreamMessage<String, String>> last =
                redis.cmd().xrevrange(Keys.delivery(gatewayId), Range.create("-", "+"), Limit.from(1));
        String from = last.isEmpty() ? "0-0" : last.get(0).getId();
        thread = new Thread(() -> read(from), "redis-backend-" + gatewayId + "-reader");
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits for the thread to end once {@code running} is false. */
    void join(long ms) throws InterruptedException {
        thread.join(ms);
    }

    /** True while Redis has not answered our reads for {@link #STALE_NANOS}. */
    boolean stale() {
        return stale;
    }

    /** When the sender was last heard from, or 0 if never (or forgotten). */
    long lastHeard(String sender) {
        Sender from = sender == null ? null : senders.get(sender);
        return from == null ? 0 : from.lastHeardNanos;
    }

    /** Forgets senders silent for a minute (old incarnations of restarted shards). */
    void forgetSilent(long now) {
        senders.values().removeIf(x -> now - x.lastHeardNanos > 60_000_000_000L);
    }

    private void read(String from) {
        // BLOCK stays well under the 2 s command timeout.
        StreamReader reader = new StreamReader(
                redis, Keys.delivery(gatewayId), from, Duration.ofMillis(500), 1000, Duration.ofMillis(100));
        long[] lastTrim = {System.nanoTime()};
        reader.run(
                running::get,
                m -> {
                    try {
                        deliver(DeliveryEntry.parse(m.getBody()));
                    } catch (IllegalArgumentException bad) {
                        LOG.warning(() -> "gateway " + gatewayId + ": bad delivery entry " + m.getId() + " skipped: "
                                + bad.getMessage());
                    }
                },
                n -> {
                    lastReadOk = System.nanoTime();
                    if (stale) {
                        stale = false;
                        LOG.info(() -> "gateway " + gatewayId + ": Redis reachable again");
                    }
                    if (System.nanoTime() - lastTrim[0] > 1_000_000_000L) {
                        lastTrim[0] = System.nanoTime();
                        trim(reader);
                    }
                },
                e -> {
                    if (!stale && System.nanoTime() - lastReadOk > STALE_NANOS) {
                        stale = true;
                        LOG.warning(() -> "gateway " + gatewayId + ": Redis unreachable for "
                                + STALE_NANOS / 1_000_000_000L + " s (" + e.getMessage() + "); marking " + subs.size()
                                + " subscriptions stale");
                        for (RemoteSubscription s : subs.all()) {
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

    /** One entry of our delivery stream, in order (the reader's thread; tests' seam). */
    void deliver(DeliveryEntry e) {
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
                Attachments.PendingAck p = subs.ack(a.req());
                if (a.applied() != null) {
                    // Noted before the answer, so an attach to an owner that has caught up tells live at once.
                    progress.applied(shard, Map.of(a.partition(), a.applied()));
                }
                if (p != null) {
                    if (p.sub() != null) {
                        long backoff = p.sub().answered(p.att(), e.sender(), a.ok());
                        if (backoff > 0) {
                            refused(p.sub(), e.sender(), a, backoff);
                        }
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

    /**
     * A re-attach the shard refused: said at most once a minute per partition, with the refusal's
     * code (a partition its owner cannot load, a table it does not serve: the shard's log says
     * why), as the watcher retries it with back-off.
     */
    private void refused(RemoteSubscription s, String sender, Delivery.Ack a, long backoffNanos) {
        long left = refusalLog
                .computeIfAbsent(s.partition, k -> new LogPace(REFUSAL_LOG_NANOS, System::nanoTime))
                .admit();
        if (left < 0) {
            return;
        }
        LOG.warning(() -> "gateway " + gatewayId + ": " + sender + " refused re-attaching subscription " + s.sid
                + " to table " + s.query().shape().table() + " (partition " + s.partition + "): " + a.code() + ": "
                + a.msg() + "; retrying in " + backoffNanos / 1_000_000 + " ms, backing off up to "
                + RefusalBackoff.MAX_NANOS / 1_000_000_000L + " s"
                + (left > 0 ? " (" + left + " more refusals in this partition since the last line)" : ""));
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
            case REPAIR ->
                LOG.info(
                        () -> "subscription " + s.sid + ": batch " + f.n() + " from " + sender
                                + " could not be applied (a batch missing, undecodable, or the queue overflowed); re-attaching");
            default -> {}
        }
    }

    /**
     * Frames keep coming for an attachment we no longer have: its unsubscribe was lost (a trimmed
     * control stream, a shard restarted under the same id, an earlier process of this gateway).
     * Ask its shard to drop it, and again if its frames still come {@link #STRAY_REASK_NANOS}
     * later (that request may be lost too: asked only once, a leftover would stay for good, and
     * count in the shard's ticks as one of ours). The map is bounded and forgotten now and then.
     */
    private void stray(String shard, String sid, String att) {
        if (strays.size() > 10_000) {
            strays.clear();
        }
        long now = System.nanoTime();
        Long asked = strays.get(att);
        if (asked == null || now - asked > STRAY_REASK_NANOS) {
            strays.put(att, now);
            subs.unsubscribe(shard, sid, att);
        }
    }

    /**
     * A tick: the sender is alive, hosts {@code hosted} of our attachments and has applied its
     * partitions' changes up to the positions it reports ({@link Progress}, noted first, so a tick
     * that shows a lagging owner caught up tells its windows live at once). Tells its stale
     * subscriptions live (unless their partition's owner still lags).
     *
     * <p>Then two checks of what it hosts against what we hold attached to it, each acting only
     * when it fails twice running (once can be an ack or an unsubscribe still on its way):
     * <ul>
     * <li>It hosts fewer: some were dropped without a word reaching us; re-attach them all.</li>
     * <li>Its digest of the ids ({@link Delivery.Tick#digest}) differs from ours: it hosts some
     *     we gave up (a quiet leftover whose unsubscribe was lost sends no frames, so
     *     {@link #stray} never sees it, and it would stay for as long as we live). We send it a
     *     {@link Attachments#keep}, which closes those. If the counts are equal, it also lacks
     *     one we hold (the leftover was hiding it from the count): re-attach them all now rather
     *     than after the next write misses it. At most once per {@link #KEEP_EVERY_NANOS} per
     *     sender. A tick without a digest (an older shard) is not checked.</li>
     * </ul>
     */
    private void tick(String sender, Sender from, Delivery.Tick t) {
        progress.applied(from.shard, t.applied());
        int ours = 0;
        long digest = 0;
        for (RemoteSubscription s : subs.all()) {
            s.heardFrom(sender);
            String att = s.attachedTo(sender);
            if (att != null) {
                ours++;
                digest ^= Delivery.Tick.hash(att);
            }
        }
        boolean repaired = false;
        if (ours > t.hosted()) {
            if (++from.shortTicks >= 2) {
                from.shortTicks = 0;
                int n = ours;
                LOG.warning(
                        () -> "gateway " + gatewayId + ": " + sender + " hosts " + t.hosted() + " of our attachments"
                                + " but we hold " + n + " attached to it; re-attaching them with resume");
                repairSender(sender, from.shard);
                repaired = true;
            }
        } else {
            from.shortTicks = 0;
        }
        if (t.digest() == null || t.digest() == digest || repaired) {
            from.otherTicks = 0;
            return;
        }
        long now = System.nanoTime();
        if (++from.otherTicks < 2 || now - from.lastKeepNanos < KEEP_EVERY_NANOS) {
            return;
        }
        from.otherTicks = 0;
        if (!subs.keep(from.shard)) {
            return; // tried again at the next tick that still differs
        }
        from.lastKeepNanos = now;
        int n = ours;
        if (n == t.hosted()) {
            LOG.warning(() -> "gateway " + gatewayId + ": " + sender + " hosts " + n + " attachments of ours, as many"
                    + " as we hold there, but not the same ones; asked it to close those we gave up and"
                    + " re-attaching ours with resume");
            repairSender(sender, from.shard);
        } else {
            LOG.info(() -> "gateway " + gatewayId + ": " + sender + " hosts " + t.hosted() + " attachments of ours"
                    + " where we hold " + n + " there; asked it to close those we gave up");
        }
    }

    /** Everything attached to (or being attached to) the sender is re-attached with resume. */
    private void repairSender(String sender, String shard) {
        for (RemoteSubscription s : subs.all()) {
            if (sender.equals(s.sender()) || (s.sender() == null && shard.equals(s.shard()))) {
                s.detachAll();
            }
        }
        // Requests to it may have lost their acks: let their callers retry now, not at their timeout.
        // An attach counts as the answer path counts it: only while it is its subscription's own.
        for (Attachments.PendingAck p : subs.pending()) {
            if (p.shard().equals(shard)) {
                if (p.sub() != null) {
                    p.sub().failed(p.att());
                }
                p.future().complete(new String[] {Wire.NOT_OWNER, "the answer from " + shard + " was lost"});
            }
        }
    }
}
