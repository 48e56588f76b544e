package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Window;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.shard.cluster.Shard;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Priority 1: a write through gateway A reaches a subscriber on gateway B, via a shard. */
@Cluster
class CrossGatewayTest {
    static RedisProcess redis;
    static Shard shard;
    static RedisBackend a;
    static RedisBackend b;

    @BeforeAll
    static void up() throws Exception {
        redis = RedisProcess.start(false);
        shard = new Shard(
                new Shard.Config("t1", redis.uri(), Fixtures.OPTIONS, 2000, 10_000), new SimpleMeterRegistry());
        shard.start();
        a = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwA", new SimpleMeterRegistry());
        b = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwB", new SimpleMeterRegistry());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> a.ready() && b.ready() && shard.owned().size() == 256);
    }

    @AfterAll
    static void down() throws Exception {
        b.close();
        a.close();
        shard.close();
        redis.close();
    }

    @Test
    void writeOnAIsSeenBySubscriberOnB() throws Exception {
        Query q = query(
                "{\"table\":\"items\",\"where\":{\"open\":true},\"order\":[{\"field\":\"price\",\"dir\":\"desc\"}],\"limit\":5}");
        a.put("items", "x0", row("{\"price\":1,\"open\":true}"), null);
        Client c = new Client(b.subscribe(q, null, () -> {}));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> c.poll().ready() && c.window().equals(truth(a, q)));
        assertThat(c.resets()).containsExactly("subscribe");
        for (int i = 1; i <= 20; i++) {
            a.put("items", "x" + i, row("{\"price\":" + (i * 7 % 13) + ",\"open\":" + (i % 3 != 0) + "}"), null);
        }
        a.patch("items", "x4", row("{\"price\":100}"), null);
        a.delete("items", "x8", null);
        a.batch("items", List.of(row("{\"id\":\"y1\",\"price\":50,\"open\":true}")), List.of("x5"));
        await().atMost(Duration.ofSeconds(10)).until(() -> c.poll().window().equals(truth(a, q)));
        assertThat(c.window()).hasSize(5);
        assertThat(c.resets()).containsExactly("subscribe"); // incremental splices only
        assertThat(b.get("items", "x4").data().get("price").asInt()).isEqualTo(100);

        // reanchor through the shard: grow the window to 8
        c.sub.reanchor(new Window(null, null, 8));
        Query q8 = q.withWindow(new Window(null, null, 8));
        await().atMost(Duration.ofSeconds(10)).until(() -> c.poll().window().equals(truth(a, q8)));

        // a resume on the other gateway with the last eid: no reset, only the splice
        a.put("items", "x9", row("{\"price\":99,\"open\":true}"), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> c.poll().window().equals(truth(a, q8)));
        String eid = c.lastEid();
        c.sub.close();
        a.put("items", "x10", row("{\"price\":98,\"open\":true}"), null);
        Client r = Client.resuming(a.subscribe(q8, eid, () -> {}), c);
        await().atMost(Duration.ofSeconds(10)).until(() -> r.poll().window().equals(truth(a, q8)) && r.ready());
        assertThat(r.resets()).as("no reset since the held window").isEqualTo(c.resets());
        assertThat(r.resumedReadies()).isEqualTo(c.resumedReadies() + 1);
        r.sub.close();
    }

    @Test
    void writesAreAtomicAndChecked() throws Exception {
        long v = a.put("cas", "r1", row("{\"n\":1}"), null).version();
        assertThat(b.put("cas", "r1", row("{\"n\":2}"), v).version()).isEqualTo(v + 1);
        assertThatThrownBy(() -> a.put("cas", "r1", row("{\"n\":3}"), v))
                .isInstanceOf(LiveQueryException.class)
                .satisfies(e -> assertThat(((LiveQueryException) e).code())
                        .isEqualTo(LiveQueryException.Code.VERSION_MISMATCH));
        assertThatThrownBy(() -> a.batch("cas", List.of(row("{\"id\":\"r2\"}")), List.of("nope")))
                .satisfies(
                        e -> assertThat(((LiveQueryException) e).code()).isEqualTo(LiveQueryException.Code.NOT_FOUND));
        assertThatThrownBy(() -> a.get("cas", "r2")).isInstanceOf(LiveQueryException.class); // nothing applied
        assertThat(a.get("cas", "r1").version()).isEqualTo(v + 1);
        assertThatThrownBy(() ->
                        b.subscribe(query("{\"table\":\"cas\",\"limit\":5,\"after\":\"garbage\"}"), null, () -> {}))
                .isInstanceOf(LiveQueryException.class);
    }

    @Test
    void slowSubscriberOnTheGatewayGetsResetOverflowAndASnapshot() throws Exception {
        try (RedisBackend small = new RedisBackend(
                Fixtures.OPTIONS.withMaxQueued(8), redis.uri(), "gwSmall", new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(10)).until(small::ready);
            for (int i = 0; i < 5; i++) {
                a.put("ov", "o" + i, row("{\"k\":" + i + "}"), null);
            }
            Query q = query("{\"table\":\"ov\",\"order\":[{\"field\":\"k\"}],\"limit\":5}");
            Client c = new Client(small.subscribe(q, null, () -> {}));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> c.poll().ready() && c.window().equals(truth(a, q)));
            for (int round = 0; round < 6; round++) { // 30 updates, the client reads none of them
                for (int i = 0; i < 5; i++) {
                    a.put("ov", "o" + i, row("{\"k\":" + i + ",\"round\":" + round + "}"), null);
                }
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> c.poll().resets().contains("overflow")
                            && c.ready()
                            && c.window().equals(truth(a, q)));
            assertThat(c.resets()).containsExactly("subscribe", "overflow");
            c.sub.close();
        }
    }
}
