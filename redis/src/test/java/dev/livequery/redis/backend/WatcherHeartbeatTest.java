package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Logged;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's heartbeat against a real redis-server, on a fake clock: a heartbeat that found its
 * key gone, or that follows a whole TTL with no reply confirmed, re-attaches every subscription.
 */
@Cluster
class WatcherHeartbeatTest {
    static final String GW = "gwHeartbeat";
    static final String INCARNATION = "inc1";
    static final long S = 1_000_000_000L;
    static final long TTL = TimeUnit.MILLISECONDS.toNanos(Watcher.HEARTBEAT_TTL_MS);

    final AtomicLong clock = new AtomicLong(S); // not 0: that means no heartbeat yet
    Logged logged;

    GatewayRig rig;
    Redis redis;
    Attachments subs;
    Watcher watcher;
    List<RemoteSubscription> attached;

    @BeforeEach
    void start() throws Exception {
        rig = new GatewayRig(GW, INCARNATION, "shard1");
        redis = rig.redis;
        subs = rig.subs;
        watcher = rig.watcher(rig.reader(new AtomicBoolean(true)), clock::get);
        attached = List.of(subscribe("a"), subscribe("b"));
        watcher.heartbeat(); // the first, confirmed at t0
        logged = Logged.by(Watcher.class);
    }

    @AfterEach
    void stop() {
        logged.close();
        watcher.stop();
        rig.close();
    }

    /** Subscribes, standing in for shard1: its ack completes the request as the delivery reader would. */
    RemoteSubscription subscribe(String table) throws Exception {
        RemoteSubscription s = ShardStandIn.subscribed(subs, table);
        assertThat(s.needsRepair()).isFalse();
        return s;
    }

    void assertAllDetached() {
        for (RemoteSubscription s : attached) {
            assertThat(s.att()).as(s.sid).isNull();
            assertThat(s.needsRepair()).as(s.sid).isTrue();
        }
    }

    @Test
    void anotherProcessWithTheSameIdIsReportedNotTakenForAnExpiry() {
        clock.addAndGet(S);
        watcher.heartbeat(); // ours again: nothing to say
        assertThat(warnings()).isEmpty();
        redis.cmd().set(Keys.gatewayAlive(GW), "inc2"); // a second process configured with our id
        clock.addAndGet(S);
        watcher.heartbeat();
        assertThat(warnings())
                .singleElement()
                .asString()
                .contains("another process (inc2)")
                .contains("livequery.gateway.id");
        for (RemoteSubscription s : attached) {
            assertThat(s.att()).as("the key was alive: not an expiry").isNotNull();
        }
    }

    @Test
    void noReplyConfirmedForAWholeTtlCountsAsExpiredEvenWithOurValueBack() {
        // A heartbeat sent as the process froze, run by Redis after its client timeout fired: it
        // found the key gone and set it again, and its reply was never read.
        redis.cmd().psetex(Keys.gatewayAlive(GW), Watcher.HEARTBEAT_TTL_MS, INCARNATION);
        clock.addAndGet(TTL + S);
        watcher.heartbeat();
        assertAllDetached();
        assertThat(warnings())
                .singleElement()
                .asString()
                .startsWith("gateway " + GW + ": its heartbeat had expired or may have (no reply confirmed it");
    }

    @Test
    void aHeartbeatWithinTheTtlThatFindsOurValueDetachesNothing() {
        List<String> atts = attached.stream().map(RemoteSubscription::att).toList();
        clock.addAndGet(TTL - S);
        watcher.heartbeat();
        assertThat(attached.stream().map(RemoteSubscription::att).toList()).isEqualTo(atts);
        assertThat(attached).noneMatch(RemoteSubscription::needsRepair);
        assertThat(warnings()).isEmpty();
    }

    @Test
    void aHeartbeatThatFindsItsKeyGoneDetachesEverything() {
        redis.cmd().del(Keys.gatewayAlive(GW));
        clock.addAndGet(S);
        watcher.heartbeat();
        assertAllDetached();
        assertThat(warnings())
                .singleElement()
                .asString()
                .startsWith("gateway " + GW + ": its heartbeat had expired (this process was paused")
                .doesNotContain("may have");
    }

    /** This gateway's WARNING lines so far. */
    private List<String> warnings() {
        return logged.messages(Level.WARNING).stream()
                .filter(m -> m.startsWith("gateway " + GW))
                .toList();
    }
}
