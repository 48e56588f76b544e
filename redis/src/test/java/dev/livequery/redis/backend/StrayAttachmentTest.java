package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.redis.cluster.Control;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import io.lettuce.core.Range;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Frames keep coming for an attachment this gateway no longer has: it asks the shard to drop it,
 * and asks again if the frames still come a while later (the first request may have been lost).
 * The delivery reader runs for real; the test writes the shard's entries to the delivery stream.
 */
@Cluster
class StrayAttachmentTest {
    static final String GW = "gwStray";
    static final String SHARD = "x";
    static final String SENDER = SHARD + "/1";
    static final String ATT = GW + ".earlier.1";

    final AtomicBoolean running = new AtomicBoolean(true);
    GatewayRig rig;
    Redis redis;
    DeliveryReader reader;
    long seq;

    @BeforeEach
    void start() throws Exception {
        rig = new GatewayRig(GW, "inc1", SHARD);
        redis = rig.redis;
        reader = rig.reader(running);
        reader.start();
    }

    @AfterEach
    void stop() throws Exception {
        running.set(false);
        reader.join(5000);
        rig.close();
    }

    @Test
    void aStrayWhoseUnsubscribeWasLostIsAskedAgain() throws Exception {
        frames();
        await().atMost(Duration.ofSeconds(10)).until(() -> unsubscribes() == 1);
        // More of its frames at once are not asked about again: one request is on its way.
        frames();
        frames();
        passed();
        assertThat(unsubscribes()).isEqualTo(1);
        // That request is lost (the control stream trimmed or deleted before the shard read it).
        redis.cmd().del(Keys.control(SHARD));
        // Its frames keep coming (a window that changes): it is asked again.
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    frames();
                    return unsubscribes() == 1;
                });
    }

    /** A batch of frames of the stray attachment, from its shard. */
    void frames() {
        add(SENDER, ++seq, new Delivery.Frames("s-gone", ATT, seq, 0, "", "[]"));
    }

    /** Waits until the reader has handled everything written so far (it reads in order). */
    void passed() {
        String marker = "marker/" + seq;
        add(marker, 1, new Delivery.Tick(0, Map.of()));
        await().atMost(Duration.ofSeconds(10)).until(() -> reader.lastHeard(marker) != 0);
    }

    void add(String sender, long n, Delivery body) {
        redis.cmd().xadd(Keys.delivery(GW), new DeliveryEntry(sender, n, body).map());
    }

    long unsubscribes() throws Exception {
        long n = 0;
        for (var m : redis.cmd().xrange(Keys.control(SHARD), Range.create("-", "+"))) {
            if (Control.parse(m.getBody()) instanceof Control.Unsubscribe u && ATT.equals(u.att())) {
                n++;
            }
        }
        return n;
    }
}
