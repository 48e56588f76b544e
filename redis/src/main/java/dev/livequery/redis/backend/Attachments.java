package dev.livequery.redis.backend;

import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;

import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Window;
import dev.livequery.redis.cluster.Control;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.cluster.Wire;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import io.lettuce.core.RedisException;
import io.lettuce.core.XAddArgs;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.logging.Logger;

/**
 * The gateway's live subscriptions and their attachments to shards: which shard owns each
 * (by this gateway's view of the live members), the control requests sent to owners (subscribe,
 * reanchor, unsubscribe), and the requests waiting for their acks ({@link PendingAcks}). The
 * delivery reader answers the acks; the watcher moves and repairs attachments through
 * {@link #attach}.
 */
final class Attachments {
    private static final Logger LOG = Logger.getLogger(Attachments.class.getName());
    static final long ACK_TIMEOUT_NANOS = 8_000_000_000L;
    private static final int CONTROL_MAXLEN = 1_000_000;

    /**
     * A request waiting for its ack, sent at {@code sentNanos}; {@code sub}/{@code att} name the
     * attach it was (null for a reanchor).
     */
    record PendingAck(
            String shard, CompletableFuture<String[]> future, RemoteSubscription sub, String att, long sentNanos) {}

    private final EngineOptions options;
    private final String gatewayId;
    private final String incarnation;
    private final Redis redis;
    private final Membership members;
    private final Progress progress;
    private final Map<String, RemoteSubscription> subs = new ConcurrentHashMap<>();
    private final PendingAcks acks;
    private final AtomicLong ids = new AtomicLong();
    private volatile List<String> live = List.of();
    /**
     * Attaches hold it shared from choosing an attachment id to sending it; a {@link #keep}
     * holds it alone from listing the attachments to sending the list.
     */
    private final ReentrantReadWriteLock keeping = new ReentrantReadWriteLock();

    Attachments(
            EngineOptions options,
            String gatewayId,
            String incarnation,
            Redis redis,
            Timer controlRtt,
            Progress progress) {
        this.options = options;
        this.gatewayId = gatewayId;
        this.incarnation = incarnation;
        this.redis = redis;
        this.members = new Membership(redis);
        this.acks = new PendingAcks(controlRtt);
        this.progress = progress;
    }

    // ---- what the other parts read ---------------------------------------------------------------

    Collection<RemoteSubscription> all() {
        return subs.values();
    }

    RemoteSubscription get(String sid) {
        return subs.get(sid);
    }

    int size() {
        return subs.size();
    }

    PendingAck ack(String req) {
        return acks.get(req);
    }

    Collection<PendingAck> pending() {
        return acks.all();
    }

    /** Gives up the requests no answer will reach ({@link PendingAcks#expireUnanswered}). */
    void expireUnanswered(long now) {
        acks.expireUnanswered(now);
    }

    /** True while the owner of partition {@code p} lags behind its change stream ({@link Progress}). */
    boolean behind(int p) {
        return progress.overdue(p, System.nanoTime());
    }

    /**
     * True when the owner of partition {@code p} is not behind and has applied every stream head
     * seen at or before {@code sinceNanos}: a window told stale then may be told live. Without the
     * second half a shard resuming from a pause could be heard (its first tick) before it applied
     * what was written meanwhile, be told live, and then stale again once that write went overdue.
     */
    boolean caughtUp(int p, long sinceNanos) {
        long now = System.nanoTime();
        return !progress.overdue(p, now) && !progress.waitingSince(p, sinceNanos);
    }

    /** The live shards as last looked up. */
    List<String> live() {
        return live;
    }

    /** Looks the live shards up again (throws when Redis is unreachable). */
    List<String> refreshLive() {
        live = members.live();
        return live;
    }

    // ---- subscribe, reanchor, close --------------------------------------------------------------

    RemoteSubscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException {
        Tables.check(options, query.shape().table());
        if (query.window().limit() > options.maxWindow()) {
            throw new LiveQueryException(
                    LiveQueryException.Code.BAD_QUERY,
                    "limit " + query.window().limit() + " is over the maximum window of " + options.maxWindow());
        }
        RemoteSubscription s = new RemoteSubscription(
                this, "s" + incarnation + "-" + ids.incrementAndGet(), query, resume, wakeup, options.maxQueued());
        subs.put(s.sid, s);
        long deadline = System.nanoTime() + ACK_TIMEOUT_NANOS;
        try {
            while (true) {
                CompletableFuture<String[]> ack = attach(s, null, null);
                String[] r = null;
                while (r == null) {
                    try {
                        r = ack.get(200, TimeUnit.MILLISECONDS);
                        CompletableFuture<String[]> newer = r[0].isEmpty() ? null : s.newerThan(ack);
                        if (newer != null) {
                            // A refusal of an attach the watcher has replaced since (it moved or
                            // repaired the subscription): the newer attach's answer decides.
                            ack = newer;
                            r = null;
                        }
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
                        CompletableFuture<String[]> newer = s.newerThan(ack);
                        if (newer == null) {
                            throw new LiveQueryException(
                                    UNAVAILABLE, e.getCause().getMessage());
                        }
                        ack = newer; // given up after the watcher replaced it: the newer attach decides
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
            // Given up as a client's close is (closed(): under the attach lock), in case it was
            // attached after all: a watcher's re-attach racing this reaches the shard before the
            // unsubscribe or sees the subscription closed, never after it.
            s.close();
            throw e instanceof LiveQueryException l ? l : RowStore.unavailable((RuntimeException) e);
        }
    }

    /**
     * Sends the subscription to its owner under a new attachment id. Frames of older attachments
     * are ignored from here on. {@code missFrom/To}: the cause the next reset should carry
     * instead (e.g. resume_miss → failover when the history could not follow the move).
     */
    CompletableFuture<String[]> attach(RemoteSubscription s, String missFrom, String missTo) throws LiveQueryException {
        String owner = Membership.owner(s.partition, live);
        if (owner == null) {
            throw new LiveQueryException(UNAVAILABLE, "no live shard in the cluster (is any shard process running?)");
        }
        String att = Wire.attachment(gatewayId, incarnation, ids.incrementAndGet());
        String req = "r" + ids.incrementAndGet();
        CompletableFuture<String[]> f = new CompletableFuture<>();
        keeping.readLock().lock(); // a keep lists no attachment chosen but not yet sent
        try {
            return attachLocked(s, owner, att, req, f, missFrom, missTo);
        } finally {
            keeping.readLock().unlock();
        }
    }

    private CompletableFuture<String[]> attachLocked(
            RemoteSubscription s,
            String owner,
            String att,
            String req,
            CompletableFuture<String[]> f,
            String missFrom,
            String missTo)
            throws LiveQueryException {
        // Two attaches of one subscription to the same owner (subscribe's and the watcher's) must
        // reach its control stream in the order they set the attachment: otherwise the shard keeps
        // the attachment the gateway has already replaced and every frame it publishes is dropped.
        synchronized (s.attachLock) {
            if (s.closed()) {
                // Closed after the caller looked (the watcher checks, then attaches): a subscribe
                // sent now would follow the close's unsubscribe and leave the shard hosting it.
                throw new LiveQueryException(UNAVAILABLE, "subscription " + s.sid + " is closed");
            }
            RemoteSubscription.Attach a = s.begin(gatewayId, owner, att, req, f, missFrom, missTo);
            acks.attach(req, new PendingAck(owner, f, s, att, System.nanoTime()));
            if (a.oldShard() != null && !a.oldShard().equals(owner)) {
                unsubscribe(a.oldShard(), s.sid, a.oldAtt());
            }
            try {
                send(owner, a.request());
            } catch (RedisException e) {
                acks.remove(req);
                s.detach(att);
                f.completeExceptionally(e); // for a subscribe waiting on this attach as its current one
                throw RowStore.unavailable(e);
            }
        }
        return f;
    }

    /**
     * Sends {@code shard} a {@link Control.Keep} listing every attachment we have (or are making)
     * there: it closes the others of ours it hosts, leftovers whose unsubscribe was lost. Built
     * and sent while no attach is between choosing its id and sending it ({@link #keeping}), so
     * every subscribe ahead of the keep in the control stream is in its list or given up, and
     * every later one follows it. Returns false if it was not sent (an attach held the lock for
     * long, more than {@link Control.Keep#MAX_KEEP} attachments there, or Redis failed).
     */
    boolean keep(String shard) {
        try {
            if (!keeping.writeLock().tryLock(200, TimeUnit.MILLISECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            List<String> atts = new ArrayList<>();
            for (RemoteSubscription s : subs.values()) {
                String a = s.attachmentOn(shard);
                if (a != null) {
                    atts.add(a);
                }
            }
            if (atts.size() > Control.Keep.MAX_KEEP) {
                LOG.warning(() -> "gateway " + gatewayId + ": " + atts.size() + " attachments on " + shard
                        + ", over the " + Control.Keep.MAX_KEEP + " a keep can list; its leftovers stay");
                return false;
            }
            send(shard, new Control.Keep(gatewayId, atts));
            return true;
        } catch (RedisException e) {
            return false;
        } finally {
            keeping.writeLock().unlock();
        }
    }

    private void send(String shard, Control c) {
        redis.cmd()
                .xadd(
                        Keys.control(shard),
                        XAddArgs.Builder.maxlen(CONTROL_MAXLEN).approximateTrimming(),
                        c.map());
    }

    /** Without {@code att} (mid re-attach) the shard closes whatever attachment it has for the sid. */
    void unsubscribe(String shard, String sid, String att) {
        try {
            send(shard, new Control.Unsubscribe(gatewayId, sid, att));
        } catch (RedisException ignored) {
            // the shard drops it when its frames reach us for an attachment we no longer have
        }
    }

    /**
     * The new window is recorded before the request goes out, so a move racing this reanchor (the
     * watcher re-attaching elsewhere) carries the new window. An answer, ok or not, counts only if
     * the attachment the request went to is still the current one: an attach that replaced it
     * since (a move or a repair) began after the window was recorded, so it carries the new window
     * (the same splice: old window → new window, then ready), and its own answer decides. A
     * refusal of a replaced attachment (e.g. from an owner shutting down) is not the reanchor's:
     * passed on, the client saw an error and the window was put back while the newer attach ran
     * the new one. No answer in time (or none sent) asks a re-attach on the same terms: only for
     * the current attachment.
     */
    void reanchor(RemoteSubscription s, Window w) throws LiveQueryException {
        if (w.limit() > options.maxWindow()) {
            throw new LiveQueryException(
                    LiveQueryException.Code.BAD_QUERY,
                    "limit " + w.limit() + " is over the maximum window of " + options.maxWindow());
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
            acks.put(req, new PendingAck(shard, f, null, null, System.nanoTime()));
            send(shard, new Control.Reanchor(gatewayId, s.sid, att, req, w));
            String[] r = PendingAcks.await(f, System.nanoTime() + ACK_TIMEOUT_NANOS);
            // Not owner, or unavailable (the shard failed at it): left to the re-attach below, with
            // the new window. Only another refusal (e.g. bad_query) is the client's, and puts it back.
            boolean refused = !r[0].isEmpty() && !r[0].equals(Wire.NOT_OWNER) && code(r[0]) != UNAVAILABLE;
            if (refused && s.unanchor(att, w, old)) {
                throw new LiveQueryException(code(r[0]), r[1]);
            }
            if (r[0].isEmpty()) {
                return;
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
        // Moving, not owner or unavailable, unanswered or unreachable: a re-attach with the new
        // window and the last eid is the same splice, done by whoever owns it now. Unless att was
        // replaced since, answered or not: the newer attach carries w and its answer decides;
        // another would be a whole attach round trip (and a partition load on the shard) for nothing.
        if (att == null) {
            s.needsAttach();
        } else {
            s.failed(att);
        }
    }

    /**
     * Under the attach lock, as {@link #attach} checks {@code closed} under it: an attach either
     * sent its subscribe before, and the unsubscribe here names its attachment and follows it in
     * the control stream, or sees the subscription closed and sends nothing. Unlocked, a re-attach
     * could reach the shard after the unsubscribe and leave it hosting an attachment for a sid
     * this gateway no longer has (counted in its ticks as ours, it can hide one really lost).
     */
    void closed(RemoteSubscription s) {
        subs.remove(s.sid, s);
        synchronized (s.attachLock) {
            String shard = s.shard();
            String att = s.att();
            if (shard != null) {
                unsubscribe(shard, s.sid, att);
            }
        }
    }

    private static LiveQueryException.Code code(String wire) {
        LiveQueryException.Code c = LiveQueryException.Code.fromWire(wire);
        return c == null ? UNAVAILABLE : c;
    }
}
