package dev.livequery.redis.backend;

import dev.livequery.core.Frame;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.core.Window;
import dev.livequery.redis.cluster.Control;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.store.Keys;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A subscription run by a shard, as the gateway holds it: the frames that arrived from the shard,
 * and its attachment, a small state machine that only this class changes (under its own lock):
 *
 * <pre>
 *   detached --attach--> sent --ack ok--> attached --gone / gap / lost / moved--> detached
 *                         |                   |
 *                         +--no ack in 8 s----+--> (re-attached by the watcher, with resume)
 * </pre>
 *
 * Re-attaching needs only the query and the eid of the last frame queued (which names exactly
 * what the client will hold), so whatever went wrong, the repair is a subscribe with resume.
 *
 * <p>Staleness: the next sign of life of its attachment (an ack, or any entry from its sender)
 * tells a client told {@code status stale} {@code live} again. While its partition's owner is
 * known to lag behind the change stream ({@link Progress}), it is told stale however lively the
 * sender looks.
 *
 * <p>The same lock guards the parts with one job each: the attachment's {@link Batches}, taken
 * in order; the client's bounded {@link FrameQueue}; what the client was told ({@link
 * Staleness}); the wait after a refusal ({@link RefusalBackoff}).
 */
final class RemoteSubscription implements Subscription {
    final String sid;
    final int partition;
    private final Attachments backend;
    private final FrameQueue queue;
    private final Batches batches = new Batches();
    private final Staleness staleness;
    private volatile Query query;
    private boolean closed;

    // The attachment, guarded by this.
    private String att;
    private String shard;
    /** The sender (shard incarnation) that acknowledged the attachment; null until then. */
    private String sender;

    private boolean needsAttach;
    private boolean overflowed;
    private long attachSentNanos;
    /** The answer to the current attach (the last begun, by subscribe or the watcher). */
    private CompletableFuture<String[]> answer;

    private boolean acked;

    /** Ever acknowledged: a refusal from now on is of a re-attach, not of the client's subscribe. */
    private boolean established;

    private final RefusalBackoff backoff = new RefusalBackoff();

    private long lastRepairNanos;

    /**
     * Held from choosing an attachment id to sending it, so two attaches of one subscription (its
     * subscribe and the watcher) reach a shard's control stream in the order they set the
     * attachment. Not {@code this}: the delivery reader must not wait for a Redis call.
     */
    final Object attachLock = new Object();

    /** What {@link #begin} decided: the request to send, and the attachment it replaces. */
    record Attach(Control.Subscribe request, String oldShard, String oldAtt) {}

    RemoteSubscription(Attachments backend, String sid, Query query, String resume, Runnable wakeup, int maxQueued) {
        this.backend = backend;
        this.sid = sid;
        this.query = query;
        this.partition = Keys.partition(query.shape().table());
        this.queue = new FrameQueue(resume, wakeup, maxQueued);
        this.staleness = new Staleness(backend, partition, this::offerLocalLocked);
    }

    // ---- the attachment --------------------------------------------------------------------------

    /**
     * A new attachment to {@code owner}: frames of any older one are ignored from here on. The
     * reset cause a resume miss would carry is renamed as the repair asks (e.g. resume_miss →
     * failover when the history could not follow a move; after an overflow, subscribe → overflow).
     * {@code answer} completes with the shard's answer to it.
     */
    synchronized Attach begin(
            String gw,
            String owner,
            String newAtt,
            String req,
            CompletableFuture<String[]> answer,
            String missFrom,
            String missTo) {
        String oldShard = shard;
        this.answer = answer;
        if (oldShard != null && !oldShard.equals(owner)) {
            backoff.reset(); // counted on, the new owner's first refusal would wait up to the longest back-off
        }
        String oldAtt = att;
        att = newAtt;
        shard = owner;
        sender = null;
        if (overflowed) {
            overflowed = false; // the queue kept no eid to resume from: a fresh snapshot
            batches.restart("subscribe", "overflow");
        } else {
            batches.restart(missFrom, missTo);
        }
        needsAttach = false;
        acked = false;
        attachSentNanos = System.nanoTime();
        lastRepairNanos = attachSentNanos;
        return new Attach(new Control.Subscribe(gw, sid, newAtt, req, query, queue.resumeFrom()), oldShard, oldAtt);
    }

    /**
     * The answer to the attach begun after the one {@code answered} answers, or null if that is
     * still the current attach: then its answer decides, else the newer one's does.
     */
    synchronized CompletableFuture<String[]> newerThan(CompletableFuture<String[]> answered) {
        return answer == answered ? null : answer;
    }

    /**
     * The shard answered the attach {@code a}; {@code ok} or not, it is alive. A refusal is
     * re-attached after a {@link RefusalBackoff}; a move to another owner is not held back, and
     * starts it afresh ({@link #begin}). Returns the back-off if this refused a re-attach of a
     * subscription that was acknowledged before (worth an operator's look), else 0.
     */
    synchronized long answered(String a, String from, boolean ok) {
        if (!a.equals(att)) {
            return 0;
        }
        if (ok) {
            acked = true;
            established = true;
            backoff.reset();
            sender = from;
            staleness.good();
            return 0;
        }
        needsAttach = true;
        long wait = backoff.refused();
        return established ? wait : 0;
    }

    /**
     * The attach {@code a} was given up unanswered (its shard is being repaired), or a reanchor
     * sent to it got no answer that settles it: re-attach, if it is still the current attachment.
     * One replaced since is nobody's business any more. Checked and asked under one lock, so an
     * attach beginning meanwhile is never followed by a needless one.
     */
    synchronized void failed(String a) {
        if (a.equals(att)) {
            needsAttach = true;
        }
    }

    /** The attachment is no longer served (gone, a lost entry, a failed send): re-attach with resume. */
    synchronized boolean detach(String a) {
        if (a != null && !a.equals(att)) {
            return false;
        }
        needsAttach = true;
        att = null;
        return true;
    }

    /** Re-attach, whatever the attachment (Redis lost our state, the gateway was presumed dead…). */
    synchronized void detachAll() {
        needsAttach = true;
        att = null;
    }

    synchronized void needsAttach() {
        needsAttach = true;
    }

    /** The attachment if the sender {@code s} acknowledged it (it hosts it, as far as we know), else null. */
    synchronized String attachedTo(String s) {
        return s.equals(sender) && acked && att != null ? att : null;
    }

    /** The attachment if it is (being) made on {@code shard}, acknowledged or not, else null. */
    synchronized String attachmentOn(String shard) {
        return !closed && shard.equals(this.shard) ? att : null;
    }

    /** True if the entry came from this attachment's sender: a sign of life; tells the client live if it was told stale. */
    synchronized void heardFrom(String s) {
        if (s.equals(sender) && acked && att != null) {
            staleness.good();
        }
    }

    synchronized String shard() {
        return shard;
    }

    synchronized String att() {
        return att;
    }

    synchronized String sender() {
        return sender;
    }

    synchronized boolean placed() {
        return shard != null;
    }

    synchronized boolean isAcked() {
        return acked;
    }

    /**
     * The watcher's check: tells the client {@code stale} when nothing has been heard from the
     * attachment for {@code staleNanos} ({@code lastHeard}: the sender's last entry, or 0 if
     * unknown) or its partition's owner is overdue with its progress, and answers whether it
     * needs a re-attach now: it was detached, its ack is overdue,
     * or it has been stale so long that the sender is presumed to have lost it (then at most every
     * {@code repairEvery}).
     *
     * <p>Stale through the progress check counts too, however lively the sender: a shard that
     * dropped the last attachment on a partition without a word stops reporting that partition
     * but ticks on, and when its count of our attachments still matches (a quiet attachment whose
     * unsubscribe was lost fills the gap) nothing else would ever re-attach the window. A truly
     * lagging owner gets the same resume at most every {@code repairEvery}: cheap, not a hammer.
     */
    synchronized boolean check(long now, long lastHeard, long staleNanos, long ackTimeout, long repairEvery) {
        if (closed || shard == null) {
            return false;
        }
        long good = staleness.lastGoodNanos();
        long ref = acked && sender != null && att != null ? Math.max(lastHeard, good) : good;
        if (!staleness.told() && (now - ref > staleNanos || backend.behind(partition))) {
            staleness.stale(now);
        }
        if (needsAttach) {
            return !backoff.waiting(now);
        }
        if (!acked) {
            return now - attachSentNanos > ackTimeout;
        }
        boolean lost =
                now - ref > 2 * staleNanos || now - staleness.toldNanos() > 2 * staleNanos && backend.behind(partition);
        return staleness.told() && lost && now - lastRepairNanos > repairEvery;
    }

    /** Detached (gone, gap, failed send) or refused: it needs a re-attach. */
    synchronized boolean needsRepair() {
        return needsAttach && !closed;
    }

    /**
     * The watcher's pick: {@link #needsRepair()} and not backing off after a refusal at {@code
     * now}. It re-attaches such a subscription whatever the stale check says.
     */
    synchronized boolean needsRepair(long now) {
        return needsAttach && !closed && !backoff.waiting(now);
    }

    /** Tells the client stale now (the gateway lost Redis), unless it was told already. */
    synchronized void stale() {
        if (!closed) {
            staleness.stale(System.nanoTime());
        }
    }

    // ---- frames ----------------------------------------------------------------------------------

    /** What {@link #frames} made of a batch. */
    enum Batch {
        APPLIED,
        DUPLICATE,
        OTHER_ATTACHMENT,
        OTHER_SENDER,
        REPAIR
    }

    /**
     * A batch from the delivery stream. Applies it if it is the next batch of the current
     * attachment from the sender that acknowledged it; a skipped batch number, an undecodable batch or an overflow detaches (the
     * watcher re-attaches with resume, or with a fresh snapshot after an overflow).
     */
    synchronized Batch frames(String from, Delivery.Frames b) {
        if (!b.att().equals(att)) {
            return Batch.OTHER_ATTACHMENT; // an older attachment (a previous owner, or before a repair)
        }
        if (!from.equals(sender)) {
            // Batch numbers count one sender's batches. Another sender with this attachment (a
            // second process under the same shard id that took the request up late) splices from
            // another starting point: its frames must never be mixed in.
            return Batch.OTHER_SENDER;
        }
        if (batches.applied(b.n())) {
            return Batch.DUPLICATE; // a batch re-sent after an ambiguous error
        }
        List<Frame> frames = batches.next(b);
        if (frames == null) {
            detach(att);
            return Batch.REPAIR;
        }
        if (!offer(frames)) {
            // PROTOCOL §6: drop what is queued; the client gets reset overflow + a fresh snapshot.
            overflowed = true;
            detach(att);
            return Batch.REPAIR;
        }
        return Batch.APPLIED;
    }

    /** Frames from the current attachment, in order. Returns false if the queue overflowed. */
    private boolean offer(List<Frame> frames) {
        if (closed) {
            return true;
        }
        staleness.good();
        return queue.offer(frames);
    }

    /** A frame made here (status stale/live), outside the shard's stream. */
    private void offerLocalLocked(Frame f) {
        if (!closed) {
            queue.offerLocal(f);
        }
    }

    // ---- Subscription ----------------------------------------------------------------------------

    @Override
    public synchronized int drain(List<Frame> out, int max) {
        return queue.drain(out, max);
    }

    @Override
    public synchronized int queued() {
        return queue.size();
    }

    @Override
    public void reanchor(Window window) throws LiveQueryException {
        backend.reanchor(this, window);
    }

    /**
     * Sets the window a reanchor asks for before it is sent, so any re-attach from now on (a move
     * racing the reanchor) carries the new window. Returns the attachment the reanchor goes to.
     */
    synchronized String[] anchor(Window w) {
        query = query.withWindow(w);
        return new String[] {shard, att};
    }

    /**
     * A reanchor to {@code newWindow} sent to attachment {@code a} was refused. Returns true if
     * {@code a} is still the current attachment: the refusal is the reanchor's answer, and the
     * window goes back to {@code old} unless something changed it since. False if an attach
     * replaced {@code a} since (a move or a repair): it began after {@link #anchor}, so it carries
     * {@code newWindow}, which stays. Checked and put back under one lock, so no attach begins
     * between the two.
     */
    synchronized boolean unanchor(String a, Window newWindow, Window old) {
        if (!a.equals(att)) {
            return false;
        }
        if (query.window().equals(newWindow)) {
            query = query.withWindow(old);
        }
        return true;
    }

    @Override
    public Query query() {
        return query;
    }

    synchronized boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.clear();
        }
        backend.closed(this);
    }
}
