package dev.livequery.redis.backend;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Window;
import dev.livequery.redis.cluster.Control;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import io.lettuce.core.Range;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A reanchor whose attachment the watcher replaced before the reanchor was answered (here: a move
 * to a new owner). The newer attach began after the new window was recorded, so it carries it: a
 * refusal from the replaced attachment is not the reanchor's answer. Counted, it reached the
 * client as an error (or, for unavailable, was swallowed) and put the window back, while the new
 * owner ran the new window. A refusal of the current attachment still reaches the client, except
 * unavailable, which the re-attach with the new window carries. No answer at all counts the same
 * way: a re-attach for the current attachment, none for a replaced one.
 */
@Cluster
class ReanchorStaleRefusalTest {
    static final String GW = "gwReanchor";
    static final String OLD_OWNER = "shard1";
    static final String NEW_OWNER = "shard2";
    static final Window NEW = new Window(null, null, 3);

    GatewayRig rig;
    Redis redis;
    Membership members;
    Attachments subs;

    @BeforeEach
    void start() throws Exception {
        rig = new GatewayRig(GW, "inc1", OLD_OWNER);
        redis = rig.redis;
        subs = rig.subs;
        members = rig.members;
    }

    @AfterEach
    void stop() {
        rig.close();
    }

    @Test
    void aRefusalOfAMovedAttachmentDoesNotReachTheClient() throws Exception {
        RemoteSubscription s = ShardStandIn.subscribed(subs, "t");
        Window old = s.query().window();
        CompletableFuture<Void> f = reanchoring(s, NEW);
        Attachments.PendingAck re = pendingReanchor();
        Attachments.PendingAck moved = move(s);
        re.future().complete(new String[] {BAD_QUERY.wire(), "refused by the old owner"});
        assertThat(f).as("the reanchor, answered by a replaced attachment").succeedsWithin(Duration.ofSeconds(5));
        assertThat(s.query().window()).as("the window").isEqualTo(NEW).isNotEqualTo(old);
        assertThat(lastSubscribe(NEW_OWNER).query().window())
                .as("the window the new owner runs")
                .isEqualTo(NEW);
        StaleRefusalTest.answer(moved, "", "");
        assertThat(s.isAcked()).isTrue();
        assertThat(s.needsRepair()).as("a re-attach asked for").isFalse();
    }

    @Test
    void anUnavailableOfAMovedAttachmentKeepsTheWindow() throws Exception {
        RemoteSubscription s = ShardStandIn.subscribed(subs, "t");
        CompletableFuture<Void> f = reanchoring(s, NEW);
        Attachments.PendingAck re = pendingReanchor();
        Attachments.PendingAck moved = move(s);
        re.future().complete(new String[] {UNAVAILABLE.wire(), "shard stopping"});
        f.get(5, TimeUnit.SECONDS);
        assertThat(s.query().window()).as("the window").isEqualTo(NEW);
        assertThat(s.needsRepair())
                .as("a re-attach asked for (it would carry the old window)")
                .isFalse();
        assertThat(s.att()).isEqualTo(moved.att());
    }

    @Test
    void anAnswerOfAMovedAttachmentAsksNoOtherReattach() throws Exception {
        RemoteSubscription s = ShardStandIn.subscribed(subs, "t");
        CompletableFuture<Void> f = reanchoring(s, NEW);
        Attachments.PendingAck re = pendingReanchor();
        Attachments.PendingAck moved = move(s);
        re.future().complete(new String[] {"", ""});
        f.get(5, TimeUnit.SECONDS);
        assertThat(s.query().window()).isEqualTo(NEW);
        assertThat(s.needsRepair())
                .as("a re-attach replacing the move's, which carries the window already")
                .isFalse();
        assertThat(s.att()).isEqualTo(moved.att());
    }

    @Test
    void aRefusalOfTheCurrentAttachmentReachesTheClient() throws Exception {
        RemoteSubscription s = ShardStandIn.subscribed(subs, "t");
        Window old = s.query().window();
        String att = s.att();
        CompletableFuture<Void> f = reanchoring(s, NEW);
        pendingReanchor().future().complete(new String[] {BAD_QUERY.wire(), "cursor does not decode"});
        Throwable t = catchThrowable(() -> f.get(5, TimeUnit.SECONDS));
        assertThat(t).hasCauseInstanceOf(LiveQueryException.class);
        assertThat(((LiveQueryException) t.getCause()).code()).isEqualTo(BAD_QUERY);
        assertThat(s.query().window()).as("the window, put back").isEqualTo(old);
        assertThat(s.att()).isEqualTo(att);
        assertThat(s.needsRepair()).isFalse();
    }

    @Test
    void anUnavailableOfTheCurrentAttachmentReattachesWithTheNewWindow() throws Exception {
        RemoteSubscription s = ShardStandIn.subscribed(subs, "t");
        CompletableFuture<Void> f = reanchoring(s, NEW);
        pendingReanchor().future().complete(new String[] {UNAVAILABLE.wire(), "shard failed: boom"});
        assertThat(f).as("the reanchor, left to the re-attach").succeedsWithin(Duration.ofSeconds(5));
        assertThat(s.query().window()).as("the window the re-attach carries").isEqualTo(NEW);
        assertThat(s.needsRepair()).as("a re-attach asked for").isTrue();
    }

    /**
     * The old owner never answers the reanchor (it left): given up here as the watcher gives up an
     * unanswered request, which is the branch an answer not in time takes too (one unavailable).
     * The move's attach carries the new window already; another re-attach asked for was a whole
     * attach round trip, and a partition load on the new owner, for nothing.
     */
    @Test
    void anUnansweredReanchorOfAMovedAttachmentAsksNoOtherReattach() throws Exception {
        RemoteSubscription s = ShardStandIn.subscribed(subs, "t");
        CompletableFuture<Void> f = reanchoring(s, NEW);
        Attachments.PendingAck re = pendingReanchor();
        Attachments.PendingAck moved = move(s);
        giveUp(re);
        assertThat(f).as("the reanchor, left to the move's attach").succeedsWithin(Duration.ofSeconds(5));
        assertThat(moved.future())
                .as("the move's attach, still waiting for its answer")
                .isNotDone();
        assertThat(s.query().window())
                .as("the window the move's attach carries")
                .isEqualTo(NEW);
        assertThat(s.needsRepair())
                .as("a re-attach replacing the move's, which carries the window already")
                .isFalse();
        assertThat(s.att()).isEqualTo(moved.att());
    }

    @Test
    void anUnansweredReanchorOfTheCurrentAttachmentReattachesWithTheNewWindow() throws Exception {
        RemoteSubscription s = ShardStandIn.subscribed(subs, "t");
        CompletableFuture<Void> f = reanchoring(s, NEW);
        giveUp(pendingReanchor());
        assertThat(f).as("the reanchor, left to the re-attach").succeedsWithin(Duration.ofSeconds(5));
        assertThat(s.query().window()).as("the window the re-attach carries").isEqualTo(NEW);
        assertThat(s.needsRepair()).as("a re-attach asked for").isTrue();
    }

    /** Gives {@code p} up as unanswered, and no request sent after it. */
    void giveUp(Attachments.PendingAck p) {
        subs.expireUnanswered(p.sentNanos() + PendingAcks.GIVE_UP_NANOS + 1);
        assertThat(p.future()).as("the request given up").isCompletedExceptionally();
    }

    CompletableFuture<Void> reanchoring(RemoteSubscription s, Window w) {
        return CompletableFuture.runAsync(() -> {
            try {
                subs.reanchor(s, w);
            } catch (LiveQueryException e) {
                throw new CompletionException(e);
            }
        });
    }

    /** The reanchor's request, waiting for its ack (a reanchor's names no attach). */
    Attachments.PendingAck pendingReanchor() {
        await().atMost(Duration.ofSeconds(5))
                .until(() -> subs.pending().stream().anyMatch(p -> p.sub() == null));
        return subs.pending().stream().filter(p -> p.sub() == null).findFirst().orElseThrow();
    }

    /** The watcher's move: the old owner left, the new one took the partition. Returns its attach. */
    Attachments.PendingAck move(RemoteSubscription s) throws Exception {
        members.leave(OLD_OWNER);
        members.heartbeat(NEW_OWNER, 60_000);
        subs.refreshLive();
        subs.attach(s, "resume_miss", "failover");
        assertThat(s.shard()).isEqualTo(NEW_OWNER);
        return subs.pending().stream()
                .filter(p -> p.sub() == s && p.att().equals(s.att()))
                .findFirst()
                .orElseThrow();
    }

    Control.Subscribe lastSubscribe(String shard) throws Exception {
        Control.Subscribe last = null;
        for (var m : redis.cmd().xrange(Keys.control(shard), Range.create("-", "+"))) {
            if (Control.parse(m.getBody()) instanceof Control.Subscribe sub) {
                last = sub;
            }
        }
        assertThat(last).isNotNull();
        return last;
    }
}
