package dev.livequery.redis.backend;

import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.LiveQueryException;
import dev.livequery.redis.cluster.Control;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import io.lettuce.core.Range;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A subscription closed by its client while the watcher re-attaches it: the watcher checks
 * {@code closed()} and then attaches, so the close can fall in between. Whatever the order, the
 * last word the shard reads about the sid must be an unsubscribe: a subscribe after it leaves the
 * shard hosting an attachment for a sid the gateway no longer has, which, if quiet, counts in the
 * shard's ticks as one of this gateway's and can hide an attachment really lost. A subscribe that
 * fails gives its subscription up the same way and must leave the shard the same last word.
 */
@Cluster
class CloseWhileAttachingTest {
    static final String GW = "gwClose";
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

    /** The watcher's re-attach comes after the client's close: it must not reach the shard. */
    @Test
    void anAttachAfterTheCloseSendsNothing() throws Exception {
        RemoteSubscription s = subscribe("t");
        s.close();
        // What the watcher does when the close fell between its closed() check and its attach.
        // (Refused or not: what counts is what the shard reads.)
        catchThrowable(() -> subs.attach(s, "resume_miss", "failover"));
        List<Control> about = controlsAbout(s.sid);
        assertThat(about).as("control requests about %s", s.sid).isNotEmpty();
        assertThat(about.getLast())
                .as("the last request the shard reads about a closed subscription")
                .isInstanceOf(Control.Unsubscribe.class);
        assertThat(subs.pending())
                .as("no request left waiting for a closed subscription")
                .isEmpty();
    }

    /**
     * A subscribe that fails (here its owner refuses it; an ack overdue for 8 s is the same path)
     * gives the subscription up, and the watcher may have picked it for a re-attach just before
     * (overdue to the watcher too, at the same 8 s): its attach, coming after the failure's
     * unsubscribe, must not reach the shard either.
     */
    @Test
    void anAttachAfterAFailedSubscribeSendsNothing() throws Exception {
        var f = ShardStandIn.subscribing(subs, "t");
        await().atMost(Duration.ofSeconds(5)).until(() -> !subs.pending().isEmpty());
        RemoteSubscription s = subs.pending().iterator().next().sub();
        subs.pending().forEach(p -> p.future().complete(new String[] {UNAVAILABLE.wire(), "shard failed"}));
        assertThat(catchThrowable(() -> f.get(5, TimeUnit.SECONDS)))
                .as("the refused subscribe")
                .hasCauseInstanceOf(LiveQueryException.class);
        assertThat(subs.get(s.sid))
                .as("the gateway holds the failed subscription")
                .isNull();
        // What the watcher does when the failure fell between its closed() check and its attach.
        catchThrowable(() -> subs.attach(s, "resume_miss", "failover"));
        List<Control> about = controlsAbout(s.sid);
        assertThat(about).as("control requests about %s", s.sid).isNotEmpty();
        assertThat(about.getLast())
                .as("the last request the shard reads about a failed subscription")
                .isInstanceOf(Control.Unsubscribe.class);
        assertThat(subs.pending())
                .as("no request left waiting for a failed subscription")
                .isEmpty();
    }

    /** Subscribes, standing in for the shard: its ack completes the request as the delivery reader would. */
    RemoteSubscription subscribe(String table) throws Exception {
        return ShardStandIn.subscribed(subs, table);
    }

    /** The control requests about {@code sid} in the shard's control stream, oldest first. */
    List<Control> controlsAbout(String sid) throws Exception {
        List<Control> out = new ArrayList<>();
        for (var m : redis.cmd().xrange(Keys.control(SHARD), Range.create("-", "+"))) {
            Control c = Control.parse(m.getBody());
            String about = switch (c) {
                case Control.Subscribe x -> x.sid();
                case Control.Reanchor x -> x.sid();
                case Control.Unsubscribe x -> x.sid();
                case Control.Keep x -> null;
            };
            if (sid.equals(about)) {
                out.add(c);
            }
        }
        return out;
    }
}
