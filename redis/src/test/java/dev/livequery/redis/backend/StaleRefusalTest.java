package dev.livequery.redis.backend;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.LiveQueryException;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A subscribe whose attach the watcher replaced before it was answered (it moved or repaired the
 * subscription): a refusal of the replaced attach is stale, and the newer attach's answer decides
 * whether the subscribe succeeds. Counted, the stale refusal tore a working subscription down and
 * the client saw an error.
 */
@Cluster
class StaleRefusalTest {
    static final String GW = "gwStale";
    static final String SHARD = "shard1";

    GatewayRig rig;
    Redis redis;
    Attachments subs;

    @BeforeEach
    void start() throws Exception {
        rig = new GatewayRig(GW, "inc1", SHARD);
        redis = rig.redis;
        subs = rig.subs;
    }

    @AfterEach
    void stop() {
        rig.close();
    }

    @Test
    void aRefusalOfAReplacedAttachIsIgnored() throws Exception {
        var f = ShardStandIn.subscribing(subs, "t");
        Attachments.PendingAck first = firstPending();
        RemoteSubscription s = first.sub();
        subs.attach(s, "resume_miss", "failover"); // the watcher's, before the first is answered
        Attachments.PendingAck second = pendingOtherThan(first);
        answer(first, UNAVAILABLE.wire(), "shard stopping");
        assertThat(f).as("the subscribe, while the newer attach is unanswered").isNotDone();
        answer(second, "", "");
        assertThat(f.get(5, TimeUnit.SECONDS)).as("the subscribe").isSameAs(s);
        assertThat(s.closed()).isFalse();
        assertThat(subs.get(s.sid)).isSameAs(s);
        assertThat(s.isAcked()).isTrue();
        assertThat(s.att()).isEqualTo(second.att());
    }

    @Test
    void theNewerAttachsRefusalDecides() throws Exception {
        var f = ShardStandIn.subscribing(subs, "t");
        Attachments.PendingAck first = firstPending();
        RemoteSubscription s = first.sub();
        subs.attach(s, "resume_miss", "failover");
        Attachments.PendingAck second = pendingOtherThan(first);
        answer(first, UNAVAILABLE.wire(), "shard stopping");
        answer(second, BAD_QUERY.wire(), "refused by the new owner");
        Throwable t = catchThrowable(() -> f.get(5, TimeUnit.SECONDS));
        assertThat(t).hasCauseInstanceOf(LiveQueryException.class);
        assertThat(((LiveQueryException) t.getCause()).code())
                .as("the refusal the client sees")
                .isEqualTo(BAD_QUERY);
        assertThat(subs.get(s.sid)).isNull();
    }

    Attachments.PendingAck firstPending() {
        await().atMost(Duration.ofSeconds(5)).until(() -> !subs.pending().isEmpty());
        return subs.pending().iterator().next();
    }

    Attachments.PendingAck pendingOtherThan(Attachments.PendingAck p) {
        return subs.pending().stream().filter(x -> x != p).findFirst().orElseThrow();
    }

    /** As the delivery reader passes an ack on: the subscription hears it, then the waiter. */
    static void answer(Attachments.PendingAck p, String code, String msg) {
        p.sub().answered(p.att(), SHARD + "/i1", code.isEmpty());
        p.future().complete(new String[] {code, msg});
    }
}
