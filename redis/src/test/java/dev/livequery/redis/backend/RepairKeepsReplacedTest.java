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
import io.lettuce.core.Range;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * When the gateway repairs a shard (a lost entry, or ticks counting too few attachments) it fails
 * the requests still waiting for that shard, so their callers retry now. A waiting attach that
 * another attach has replaced since is no one's business any more: failing it must not re-attach
 * the subscription, which is healthy elsewhere (a needless resume, or a loop with a shard that
 * drops waiting subscribes without a word). The delivery reader and the watcher run for real;
 * the test stands in for the shards, reading their control streams and writing their entries.
 */
@Cluster
class RepairKeepsReplacedTest {
    static final String GW = "gwRepair";

    final AtomicBoolean running = new AtomicBoolean(true);
    GatewayRig rig;
    Redis redis;
    Membership members;
    Attachments subs;
    DeliveryReader reader;
    Watcher watcher;

    @BeforeEach
    void start() throws Exception {
        rig = new GatewayRig(GW, "inc1", "x");
        redis = rig.redis;
        subs = rig.subs;
        members = rig.members;
        reader = rig.reader(running);
        watcher = rig.watcher(reader, System::nanoTime);
        reader.start();
        watcher.start();
    }

    @AfterEach
    void stop() throws Exception {
        watcher.stop();
        running.set(false);
        reader.join(5000);
        rig.close();
    }

    @Test
    void failingAReplacedAttachLeavesTheSubscriptionAlone() throws Exception {
        CompletableFuture<RemoteSubscription> f = ShardStandIn.subscribing(subs, "t");
        // x answers the first attach.
        Control.Subscribe a1 = subscribeAfter("x", null);
        add("x/1", 1, new Delivery.Ack(a1.req(), "", ""));
        RemoteSubscription s = f.get(10, TimeUnit.SECONDS);
        // x drops it; the watcher re-attaches it to x, which does not answer (it stalls).
        add("x/1", 2, new Delivery.Gone(s.sid, a1.att(), "test"));
        Control.Subscribe a2 = subscribeAfter("x", a1.att());
        // x leaves the members, y takes over: the watcher moves the subscription, y answers.
        members.heartbeat("y", 60_000);
        members.leave("x");
        Control.Subscribe a3 = subscribeAfter("y", null);
        add("y/1", 1, new Delivery.Ack(a3.req(), "", ""));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> s.isAcked() && a3.att().equals(s.att()));
        assertThat(subs.ack(a2.req()))
                .as("the attach x never answered is still waiting")
                .isNotNull();
        // x comes back to life with an entry lost on the way: the gateway repairs x.
        add("x/1", 4, new Delivery.Tick(0, Map.of()));
        passed();
        assertThat(subs.ack(a2.req())).as("the waiting request to x was failed").isNull();
        assertThat(s.att()).as("still attached to y").isEqualTo(a3.att());
        assertThat(s.needsRepair()).as("not to be re-attached").isFalse();
    }

    /** The next subscribe in {@code shard}'s control stream after the one of attachment {@code after}. */
    Control.Subscribe subscribeAfter(String shard, String after) {
        Control.Subscribe[] found = new Control.Subscribe[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            boolean past = after == null;
            for (var m : redis.cmd().xrange(Keys.control(shard), Range.create("-", "+"))) {
                if (Control.parse(m.getBody()) instanceof Control.Subscribe sb) {
                    if (past) {
                        found[0] = sb;
                        return true;
                    }
                    past = sb.att().equals(after);
                }
            }
            return false;
        });
        return found[0];
    }

    /** Waits until the reader has handled everything written so far (it reads in order). */
    void passed() {
        String marker = "marker/1";
        add(marker, 1, new Delivery.Tick(0, Map.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> reader.lastHeard(marker) != 0);
    }

    void add(String sender, long n, Delivery body) {
        redis.cmd().xadd(Keys.delivery(GW), new DeliveryEntry(sender, n, body).map());
    }
}
