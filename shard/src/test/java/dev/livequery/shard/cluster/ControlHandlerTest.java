package dev.livequery.shard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Engine;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.redis.cluster.Control;
import dev.livequery.redis.cluster.Delivery;
import dev.livequery.redis.cluster.DeliveryEntry;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Logged;
import dev.livequery.testkit.process.RedisProcess;
import io.lettuce.core.Range;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The control handler's subscribes that wait for their lease, against the control messages that
 * come after them. The test thread is the shard's main thread: it hands the handler each message
 * and runs its retry, in an order a real shard can meet, with the lease given by hand; the
 * publisher runs for real, so its answers are read back from the gateway's delivery stream.
 */
@Cluster
class ControlHandlerTest {
    private static final String SHARD = "ch1";
    private static final String GW = "gwC";
    private static final Query Q = query("{\"table\":\"t\",\"order\":[{\"field\":\"n\"}],\"limit\":5}");
    private static final int P = Keys.partition("t");

    private RedisProcess redisProcess;
    private Redis redis;
    private LeaseKeeper leases;
    private final Map<String, Hosted> hosted = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread publisherThread;
    private ControlHandler control;
    private SimpleMeterRegistry metrics;
    /** What loading a partition throws; null: it loads. */
    private volatile LiveQueryException loadFails;

    private Logged logged;

    @BeforeEach
    void start() throws Exception {
        redisProcess = RedisProcess.start(false);
        redis = Redis.connect(redisProcess.uri(), Duration.ofSeconds(2));
        redis.cmd().set(Keys.gatewayAlive(GW), "inc1"); // the publisher writes only to live gateways
        metrics = new SimpleMeterRegistry();
        logged = Logged.by(ControlHandler.class);
        leases = new LeaseKeeper(
                SHARD,
                SHARD + "/x",
                3000,
                new Membership(redis),
                metrics.counter("failovers"),
                metrics.counter("acquired"));
        Publisher publisher = new Publisher(
                SHARD,
                SHARD + "/x",
                redis,
                leases.leases(),
                hosted::values,
                p -> null,
                (h, lease) -> {},
                gw -> {},
                metrics.timer("lag"),
                metrics.counter("failures"));
        publisherThread = Thread.ofPlatform().daemon().start(() -> publisher.run(running::get));
        Engine engine = new Engine(EngineOptions.defaults(), 1);
        control = new ControlHandler(
                SHARD,
                redis,
                Runnable::run,
                leases,
                () -> List.of(SHARD), // this shard owns every partition by rendezvous
                new ControlHandler.Parts() {
                    @Override
                    public Engine load(int p) throws LiveQueryException {
                        if (loadFails != null) {
                            throw loadFails;
                        }
                        return engine;
                    }

                    @Override
                    public String applied(int p) {
                        return null;
                    }

                    @Override
                    public void close(Hosted h) {
                        h.closed = true;
                        hosted.remove(h.key(), h);
                        Subscription s = h.sub;
                        if (s != null) {
                            s.close();
                        }
                    }
                },
                hosted,
                publisher,
                metrics.counter("loadFailures"));
    }

    @AfterEach
    void stop() throws Exception {
        logged.close();
        running.set(false);
        publisherThread.join(5000);
        redis.close();
        redisProcess.close();
    }

    /**
     * The gateway gives up an attach still waiting for the lease: once the lease comes, the shard
     * must not host it (it would count in every tick as the gateway's, hiding one really lost).
     */
    @Test
    void anUnsubscribeDropsTheSubscribeWaitingForTheLease() {
        handle(subscribe("s1", "a1", "r1"));
        handle(new Control.Unsubscribe(GW, "s1", "a1").map());
        leaseComes();
        control.retryPending();
        assertThat(hosted).isEmpty();
        assertNeverAnswered("r1");
    }

    /** An unsubscribe without an attachment ("whatever the sid has here") drops a waiting one too. */
    @Test
    void anUnsubscribeOfTheSidDropsTheSubscribeWaitingForTheLease() {
        handle(subscribe("s1", "a1", "r1"));
        handle(new Control.Unsubscribe(GW, "s1", null).map());
        leaseComes();
        control.retryPending();
        assertThat(hosted).isEmpty();
        assertNeverAnswered("r1");
    }

    /** An unsubscribe of an older attachment leaves the newer one waiting: it is still wanted. */
    @Test
    void anUnsubscribeOfAnOlderAttachmentLeavesTheWaitingOne() {
        handle(subscribe("s1", "a2", "r2"));
        handle(new Control.Unsubscribe(GW, "s1", "a1").map());
        leaseComes();
        control.retryPending();
        assertThat(hosted.get(GW + "/s1").att).isEqualTo("a2");
        assertThat(answer("r2").ok()).isTrue();
    }

    /**
     * A newer attach of the same subscription arrives after the lease came but before the retry:
     * it is carried out at once, and the older one, still waiting, must not replace it when the
     * retry comes (the gateway would hold a2 while the shard serves a1, whose frames it drops).
     */
    @Test
    void aNewerSubscribeOfTheSidIsNotReplacedByTheOlderWaitingOne() {
        handle(subscribe("s1", "a1", "r1"));
        leaseComes();
        handle(subscribe("s1", "a2", "r2"));
        control.retryPending();
        assertThat(hosted.get(GW + "/s1").att).isEqualTo("a2");
        assertThat(hosted).hasSize(1);
        assertThat(answer("r2").ok()).isTrue();
        assertNeverAnswered("r1");
    }

    /** Both waiting: only the newer is carried out when the lease comes. */
    @Test
    void aNewerWaitingSubscribeReplacesTheOlderWaitingOne() {
        handle(subscribe("s1", "a1", "r1"));
        handle(subscribe("s1", "a2", "r2"));
        leaseComes();
        control.retryPending();
        assertThat(hosted.get(GW + "/s1").att).isEqualTo("a2");
        assertThat(answer("r2").ok()).isTrue();
        assertNeverAnswered("r1");
    }

    /**
     * A partition that does not load refuses every subscribe to it with the load's error; the
     * shard logs it once (a minute, per partition), not at every subscribe, and counts each.
     */
    @Test
    void aPartitionThatDoesNotLoadIsLoggedOnceAndCounted() {
        leaseComes();
        loadFails = new LiveQueryException(LiveQueryException.Code.UNKNOWN_TABLE, "unknown table: bad name");
        handle(subscribe("s1", "a1", "r1"));
        handle(subscribe("s2", "a2", "r2"));
        handle(subscribe("s1", "a3", "r3"));
        for (String req : List.of("r1", "r2", "r3")) {
            assertThat(answer(req).code()).as(req).isEqualTo("unknown_table");
        }
        assertThat(logged.messages(Level.WARNING))
                .as("what the shard logged")
                .singleElement()
                .asString()
                .contains("partition " + P + " failed to load")
                .contains("unknown_table: unknown table: bad name");
        assertThat(metrics.counter("loadFailures").count()).isEqualTo(3);
        assertThat(hosted).isEmpty();
    }

    private void handle(Map<String, String> msg) {
        control.handle(msg, System.nanoTime() + 60_000_000_000L);
    }

    private void leaseComes() {
        leases.leases().put(P, SHARD + "/x:1");
    }

    private static Map<String, String> subscribe(String sid, String att, String req) {
        return new Control.Subscribe(GW, sid, att, req, Q, "").map();
    }

    /**
     * No ack of {@code req} was sent: checked behind the ack of a subscribe handled now (the
     * publisher sends in the order things were queued, so one for {@code req} would be there).
     */
    private void assertNeverAnswered(String req) {
        handle(subscribe("marker", "am", "rm"));
        assertThat(answer("rm").ok()).isTrue();
        assertThat(answers()).doesNotContainKey(req);
    }

    private Map<String, Delivery.Ack> answers() {
        Map<String, Delivery.Ack> out = new HashMap<>();
        for (var m : redis.cmd().xrange(Keys.delivery(GW), Range.create("-", "+"))) {
            if (DeliveryEntry.parse(m.getBody()).body() instanceof Delivery.Ack a) {
                out.put(a.req(), a);
            }
        }
        return out;
    }

    /** The ack of request {@code req} once the publisher has written it to the gateway's stream. */
    private Delivery.Ack answer(String req) {
        Delivery.Ack[] found = new Delivery.Ack[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            for (var m : redis.cmd().xrange(Keys.delivery(GW), Range.create("-", "+"))) {
                if (DeliveryEntry.parse(m.getBody()).body() instanceof Delivery.Ack a
                        && a.req().equals(req)) {
                    found[0] = a;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static Query query(String json) {
        try {
            return Query.parse(Json.MAPPER.readTree(json));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
