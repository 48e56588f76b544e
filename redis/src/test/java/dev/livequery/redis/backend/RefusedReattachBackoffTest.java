package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.redis.cluster.Control;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Logged;
import io.lettuce.core.Range;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A subscription whose owner keeps refusing its re-attach (a partition it cannot load, a table it
 * does not serve) is re-attached with back-off, not at every watcher tick (each a whole-partition
 * load on the shard), and the refusal is logged once, with its table, partition and code. Driven
 * on a fake clock through the two checks the watcher makes (the stale check's and its own), with
 * the shard's answers passed through the delivery reader.
 */
@Cluster
class RefusedReattachBackoffTest {
    static final String GW = "gwBackoff";
    static final String SHARD = "shard1";
    static final String NEW_SHARD = "shard2";
    static final long TICK = TimeUnit.MILLISECONDS.toNanos(250);
    static final long S = 1_000_000_000L;

    Logged logged;

    GatewayRig rig;
    Redis redis;
    Attachments subs;
    DeliveryReader reader;
    final Map<String, Long> seqs = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        rig = new GatewayRig(GW, "inc1", SHARD);
        redis = rig.redis;
        subs = rig.subs;
        reader = rig.reader(new AtomicBoolean(true));
        logged = Logged.by(DeliveryReader.class);
    }

    @AfterEach
    void stop() {
        logged.close();
        rig.close();
    }

    @Test
    void aLastingRefusalIsRetriedWithBackoffAndLoggedOnce() throws Exception {
        var f = ShardStandIn.subscribing(subs, "t");
        await().atMost(Duration.ofSeconds(5)).until(() -> !subs.pending().isEmpty());
        answerLast("", "");
        RemoteSubscription s = f.get(5, TimeUnit.SECONDS);
        s.detach(s.att()); // its owner dropped it (e.g. restarted): the re-attaches are refused from here on

        long t = System.nanoTime();
        int reattaches = run(s, t, 60 * S, "unavailable");
        // Every tick (250 ms) it was 240; back-off: 0, +0.25, +0.5, +1, +2, +4, +8, +16, +30 s.
        assertThat(reattaches).as("re-attaches in 60 s of refusals").isBetween(5, 10);
        assertThat(logged.messages(Level.WARNING))
                .as("the refusals logged")
                .singleElement()
                .asString()
                .contains("table t (partition " + s.partition + ")")
                .contains("unavailable: partition load failed");

        // An ack ends the back-off: the next refusal is retried at the next tick again.
        t += 60 * S;
        while (!s.needsRepair(t)) {
            t += TICK;
        }
        subs.attach(s, "resume_miss", "failover");
        answerLast("", "");
        assertThat(s.isAcked()).isTrue();
        s.detach(s.att());
        assertThat(run(s, t, 1 * S, "unavailable"))
                .as("re-attaches in the second after an ack and a new refusal")
                .isGreaterThanOrEqualTo(2);
    }

    @Test
    void aFirstSubscribeIsStillRefused() throws Exception {
        var f = ShardStandIn.subscribing(subs, "t");
        await().atMost(Duration.ofSeconds(5)).until(() -> !subs.pending().isEmpty());
        answerLast("bad_query", "no such column");
        assertThat(f).failsWithin(Duration.ofSeconds(5));
        assertThat(logged.messages(Level.WARNING))
                .as("a client's refused subscribe is no operator's business")
                .isEmpty();
    }

    @Test
    void aMoveToANewOwnerStartsTheBackoffAfresh() throws Exception {
        var f = ShardStandIn.subscribing(subs, "t");
        await().atMost(Duration.ofSeconds(5)).until(() -> !subs.pending().isEmpty());
        answerLast("", "");
        RemoteSubscription s = f.get(5, TimeUnit.SECONDS);
        s.detach(s.att());
        long t = System.nanoTime();
        run(s, t, 60 * S, "unavailable"); // the old owner's refusals: its back-off is at 30 s now
        t += 60 * S;

        // The old owner leaves; the watcher moves the subscription at once, and the new owner refuses too.
        Membership members = new Membership(redis);
        members.leave(SHARD);
        members.heartbeat(NEW_SHARD, 60_000);
        subs.refreshLive();
        subs.attach(s, "resume_miss", "failover");
        assertThat(s.shard()).isEqualTo(NEW_SHARD);
        answerLast(NEW_SHARD, "unavailable", "partition load failed");
        assertThat(run(s, t, 1 * S, "unavailable"))
                .as("re-attaches in the second after the new owner's first refusal (30 s away if the old"
                        + " owner's refusals still counted)")
                .isEqualTo(1);
    }

    /** The watcher's picks over {@code span} from {@code t0}, each re-attach refused; returns how many. */
    int run(RemoteSubscription s, long t0, long span, String code) throws Exception {
        int n = 0;
        for (long t = t0; t - t0 < span; t += TICK) {
            boolean stale = s.check(
                    t, reader.lastHeard(s.sender()), DeliveryReader.STALE_NANOS, Attachments.ACK_TIMEOUT_NANOS, 10 * S);
            if (stale || s.needsRepair(t)) {
                subs.attach(s, "resume_miss", "failover");
                answerLast(s.shard(), code, "partition load failed");
                n++;
            }
        }
        return n;
    }

    void answerLast(String code, String msg) throws Exception {
        answerLast(SHARD, code, msg);
    }

    /** Answers the newest subscribe in {@code shard}'s control stream, through the delivery reader. */
    void answerLast(String shard, String code, String msg) throws Exception {
        Control.Subscribe last = null;
        for (var m : redis.cmd().xrange(Keys.control(shard), Range.create("-", "+"))) {
            if (Control.parse(m.getBody()) instanceof Control.Subscribe sub) {
                last = sub;
            }
        }
        assertThat(last).isNotNull();
        String sender = shard + "/i1";
        reader.deliver(
                new DeliveryEntry(sender, seqs.merge(sender, 1L, Long::sum), new Delivery.Ack(last.req(), code, msg)));
    }
}
