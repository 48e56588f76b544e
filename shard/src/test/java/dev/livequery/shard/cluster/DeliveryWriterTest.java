package dev.livequery.shard.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.shard.cluster.DeliveryWriter.Out;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.lettuce.core.Range;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The writer keeps a delivery sequence only for gateways that are plausibly alive (memory stays
 * bounded however many gateway processes come and go), and a gateway that comes back under the
 * same id after its sequence was dropped gets every later entry, numbered so that it repairs
 * (sees a gap) rather than taking the new numbers for duplicates or for the old sequence's next.
 * Against a real redis-server; the clock is the test's.
 */
@Cluster
class DeliveryWriterTest {
    RedisProcess server;
    Redis redis;
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final List<String> gone = new ArrayList<>();
    DeliveryWriter writer;

    @BeforeEach
    void start() throws Exception {
        server = RedisProcess.start(false);
        redis = Redis.connect(server.uri(), Duration.ofSeconds(2));
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        writer = new DeliveryWriter("dw1/x", redis, (h, lease) -> {}, gone::add, metrics.timer("lag"), now::get);
    }

    @AfterEach
    void stop() throws Exception {
        redis.close();
        server.close();
    }

    @Test
    void aGoneGatewaysSequenceIsDroppedAndItsReturnIsRepairedNotDropped() {
        alive("gwA");
        alive("gwB");
        send("gwA", 3);
        send("gwB", 1);
        assertThat(writer.gateways()).isEqualTo(2);

        // gwA's heartbeat expires (it crashed, or was paused past its TTL).
        redis.cmd().del(Keys.gatewayAlive("gwA"));
        send("gwA", 1);
        send("gwB", 1);
        assertThat(gone).as("told gone").containsExactly("gwA");
        assertThat(writer.gateways())
                .as("only the live gateway keeps a sequence")
                .isEqualTo(1);

        // gwA comes back under the same id (a paused process waking up, or a configured id).
        alive("gwA");
        send("gwA", 2);
        assertThat(writer.gateways()).isEqualTo(2);
        List<Long> seqs = seqs("gwA");
        assertThat(seqs)
                .as("every entry sent while it was alive is in its stream")
                .hasSize(5);
        assertThat(read(seqs))
                .as("what the gateway does with each (DeliveryReader.deliver): the first of the new sequence"
                        + " shows as a gap (it re-attaches that sender's subscriptions), none is taken for a"
                        + " duplicate, none for the old sequence's next")
                .containsExactly("first", "next", "next", "gap", "next");
        assertThat(read(seqs("gwB"))).containsExactly("first", "next");
    }

    @Test
    void aSequenceUnusedForLongIsDropped() {
        for (int i = 0; i < 100; i++) {
            alive("gw" + i);
            send("gw" + i, 2);
        }
        assertThat(writer.gateways()).isEqualTo(100);
        // They go quiet (died while this shard had nothing to tell them, so no publish found them
        // gone); one stays in use.
        now.addAndGet(DeliveryWriter.IDLE_NANOS / 2);
        send("gw7", 1);
        now.addAndGet(DeliveryWriter.IDLE_NANOS / 2 + 60_000_000_000L);
        send("gw7", 1);
        assertThat(writer.gateways()).as("only the one in use is kept").isEqualTo(1);
        assertThat(gone)
                .as("none was told gone: their heartbeats are still there")
                .isEmpty();

        // One of the quiet ones was alive all along: its next entries start a new sequence.
        send("gw3", 2);
        assertThat(read(seqs("gw3"))).containsExactly("first", "next", "gap", "next");
        assertThat(read(seqs("gw7"))).containsExactly("first", "next", "next", "next");
    }

    void alive(String gw) {
        redis.cmd().set(Keys.gatewayAlive(gw), "inc1");
    }

    /** Sends {@code n} notices to {@code gw} in one round. */
    void send(String gw, int n) {
        List<Out> outs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            outs.add(new Out(null, "", new Delivery.Tick(0, Map.of()), 0));
        }
        Map<String, List<Out>> round = new LinkedHashMap<>();
        round.put(gw, outs);
        assertThat(writer.send(round)).as("nothing left unsent").isFalse();
    }

    List<Long> seqs(String gw) {
        List<Long> out = new ArrayList<>();
        for (var m : redis.cmd().xrange(Keys.delivery(gw), Range.create("-", "+"))) {
            DeliveryEntry e = DeliveryEntry.parse(m.getBody());
            assertThat(e.sender()).isEqualTo("dw1/x");
            out.add(e.seq());
        }
        return out;
    }

    /**
     * The gateway's rule for one sender's numbers (DeliveryReader.deliver, in the redis module):
     * the first it hears is taken as is; then the expected next is applied, a lower number is
     * dropped as a duplicate, a higher one is a gap that re-attaches the sender's subscriptions.
     */
    static List<String> read(List<Long> seqs) {
        List<String> out = new ArrayList<>();
        long next = -1;
        for (long s : seqs) {
            out.add(next < 0 ? "first" : s == next ? "next" : s < next ? "duplicate (dropped)" : "gap");
            if (next < 0 || s >= next) {
                next = s + 1;
            }
        }
        return out;
    }
}
