package dev.livequery.shard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Frame;
import dev.livequery.core.Json;
import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.core.Window;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.lettuce.core.Range;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The publisher against a real redis-server, with stand-in subscriptions: whatever fails in a
 * round, no drained frame is dropped without the gateway hearing of it (the frames of a quiet
 * window have no later batch to reveal a lost one, so a loss there stays wrong for good while the
 * ticks keep telling the window live), and no tick reports a position as applied before every
 * frame of it has gone out.
 */
@Cluster
class PublisherTest {
    static final String GW = "gwPub";
    static final int P = Keys.partition("t");
    static final String LEASE = "pub1/x:1";

    RedisProcess server;
    Redis redis;
    final Map<String, Hosted> hosted = new ConcurrentHashMap<>();
    final Map<Integer, String> leases = new ConcurrentHashMap<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    IntFunction<String> applied = p -> null;
    Publisher publisher;
    Thread thread;

    @BeforeEach
    void start() throws Exception {
        server = RedisProcess.start(false);
        redis = Redis.connect(server.uri(), Duration.ofSeconds(2));
        redis.cmd().set(Keys.gatewayAlive(GW), "inc1"); // the publisher writes only to live gateways
        redis.cmd().set(Keys.owner(P), LEASE); // and only under a lease it holds
        leases.put(P, LEASE);
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        publisher = new Publisher(
                "pub1",
                "pub1/x",
                redis,
                leases,
                hosted::values,
                p -> applied.apply(p),
                (h, lease) -> {},
                gw -> {},
                metrics.timer("lag"),
                metrics.counter("failures"));
    }

    @AfterEach
    void stop() throws Exception {
        running.set(false);
        if (thread != null) {
            thread.join(5000);
        }
        redis.close();
        server.close();
    }

    /**
     * A round fails after its batches were made (drained from their subscriptions) and before they
     * were sent: they go out in a later round, under the numbers they were given.
     */
    @Test
    void aRoundThatFailsBeforeSendingLosesNoBatch() {
        AtomicBoolean fail = new AtomicBoolean(true);
        publisher.beforeSend = () -> {
            if (fail.getAndSet(false)) {
                throw new IllegalStateException("a fault after the drain (test)");
            }
        };
        Hosted a = host("sa", 3);
        Hosted b = host("sb", 2);
        run();
        await().atMost(Duration.ofSeconds(10)).until(() -> frameCount(a) == 3 && frameCount(b) == 2);
        assertThat(fail).isFalse();
        assertThat(batchNumbers(a)).containsExactly(1L);
        assertThat(batchNumbers(b)).containsExactly(1L);
    }

    /**
     * One subscription's drain fails (an engine fault): what it drained is lost, so its gateway is
     * told to re-attach it (with resume); the other subscriptions of the round go out as usual.
     */
    @Test
    void aSubscriptionThatFailsToDrainIsToldToReattachAndTheOthersGoOut() {
        Hosted a = host("sa", 3);
        Hosted b = host("sb", 2);
        ((Stub) b.sub).failDrains = 1;
        Hosted c = host("sc", 4);
        run();
        await().atMost(Duration.ofSeconds(10)).until(() -> frameCount(a) == 3 && frameCount(c) == 4 && gone(b));
        assertThat(batchNumbers(a)).containsExactly(1L);
        assertThat(batchNumbers(c)).containsExactly(1L);
    }

    /**
     * A round sends at most 256 frames of a subscription: its gateway's tick of that round must not
     * report the partition's position, since the gateway takes "applied" for "delivered" (and
     * would tell a window live before the rest of its frames).
     */
    @Test
    void aTickReportsNoPositionWhileFramesOfItArePending() throws Exception {
        applied = p -> p == P ? "5-0" : null;
        Hosted a = host("sa", 300);
        run();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> frameCount(a) == 300 && ticksWithP().anyMatch(n -> n == 300));
        assertThat(ticksWithP().toList())
                .as("frames of the subscription sent before each tick that reports its partition")
                .isNotEmpty()
                .allMatch(n -> n == 300);
    }

    /** For each tick that reports partition {@link #P}: how many frames went out before it. */
    Stream<Integer> ticksWithP() throws Exception {
        List<Integer> out = new ArrayList<>();
        int frames = 0;
        for (DeliveryEntry e : entries()) {
            if (e.body() instanceof Delivery.Frames f) {
                frames += Json.MAPPER.readTree(f.frames()).size();
            } else if (e.body() instanceof Delivery.Tick t && t.applied().containsKey(P)) {
                out.add(frames);
            }
        }
        return out.stream();
    }

    /** A subscription of partition {@link #P} attached by {@link #GW}, with {@code frames} frames queued. */
    Hosted host(String sid, int frames) {
        Hosted h = new Hosted(GW, sid, "att-" + sid, P);
        h.sub = new Stub(frames);
        hosted.put(h.key(), h);
        publisher.wake(h);
        return h;
    }

    void run() {
        thread = Thread.ofPlatform().daemon().start(() -> publisher.run(running::get));
    }

    List<DeliveryEntry> entries() {
        List<DeliveryEntry> out = new ArrayList<>();
        for (var m : redis.cmd().xrange(Keys.delivery(GW), Range.create("-", "+"))) {
            out.add(DeliveryEntry.parse(m.getBody()));
        }
        return out;
    }

    List<Delivery.Frames> batches(Hosted h) {
        List<Delivery.Frames> out = new ArrayList<>();
        for (DeliveryEntry e : entries()) {
            if (e.body() instanceof Delivery.Frames f && f.att().equals(h.att)) {
                out.add(f);
            }
        }
        return out;
    }

    List<Long> batchNumbers(Hosted h) {
        return batches(h).stream().map(Delivery.Frames::n).toList();
    }

    int frameCount(Hosted h) throws Exception {
        int n = 0;
        for (Delivery.Frames f : batches(h)) {
            n += Json.MAPPER.readTree(f.frames()).size();
        }
        return n;
    }

    boolean gone(Hosted h) {
        return entries().stream()
                .anyMatch(e -> e.body() instanceof Delivery.Gone g && g.att().equals(h.att));
    }

    /** A subscription with frames queued; its drain can be made to fail. */
    static final class Stub implements Subscription {
        private final ArrayDeque<Frame> queue = new ArrayDeque<>();
        volatile int failDrains;

        Stub(int frames) {
            for (int i = 0; i < frames; i++) {
                queue.add(Frame.status(Frame.Status.State.LIVE));
            }
        }

        @Override
        public synchronized int drain(List<Frame> out, int max) {
            if (failDrains > 0) {
                failDrains--;
                if (!queue.isEmpty()) {
                    out.add(queue.poll()); // drained, then the fault
                }
                throw new IllegalStateException("an engine fault while draining (test)");
            }
            int n = 0;
            while (n < max && !queue.isEmpty()) {
                out.add(queue.poll());
                n++;
            }
            return n;
        }

        @Override
        public synchronized int queued() {
            return queue.size();
        }

        @Override
        public void reanchor(Window window) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Query query() {
            return null;
        }

        @Override
        public void close() {}
    }
}
