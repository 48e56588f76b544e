package dev.livequery.redis.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A partition's change stream is bounded in bytes of row images as well as in changes, so a
 * client writing large rows cannot make Redis keep gigabytes of history.
 */
@Cluster
class StreamBytesTest {
    static ObjectNode row(int n, int pad) {
        return Json.MAPPER.createObjectNode().put("n", n).put("pad", "x".repeat(pad));
    }

    /** The bytes the stream holds, counted from its entries as the write script counts them. */
    static long counted(Redis redis, int p) {
        long sum = 0;
        for (StreamMessage<String, String> m : redis.cmd().xrange(Keys.changes(p), Range.create("-", "+"))) {
            Map<String, String> b = m.getBody();
            sum += RowStore.ENTRY_OVERHEAD + b.get("a").length() + b.get("b").length();
        }
        return sum;
    }

    @Test
    void largeRowsAreTrimmedToTheByteBoundAndTheCounterStaysExact() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            // the horizon alone would keep everything (an hour); the byte bound must not
            RowStore store = new RowStore(redis, 10_000, Duration.ofHours(1), 1_000_000, 50_000);
            int p = Keys.partition("big");
            for (int i = 0; i < 200; i++) {
                store.write("big", List.of(new RowStore.Op("r" + (i % 7), row(i, 1000), null)));
                long held = counted(redis, p);
                assertThat(held).as("bytes held after write %d", i).isLessThanOrEqualTo(50_000);
                assertThat(Long.parseLong(redis.cmd().get(Keys.changeBytes(p)))).isEqualTo(held);
            }
            long len = redis.cmd().xlen(Keys.changes(p));
            assertThat(len).isBetween(10L, 30L);
            // a batch adds many entries at once: still bounded, still exact
            store.write(
                    "big",
                    List.of(
                            new RowStore.Op("b1", row(1, 5000), null),
                            new RowStore.Op("b2", row(2, 5000), null),
                            new RowStore.Op("r1", null, null)));
            assertThat(counted(redis, p))
                    .isLessThanOrEqualTo(50_000)
                    .isEqualTo(Long.parseLong(redis.cmd().get(Keys.changeBytes(p))));
            // the rows themselves are untouched by the trim
            assertThat(store.get("big", "r3").data().get("pad").asText()).hasSize(1000);
        }
    }

    @Test
    void smallRowsKeepTheWholeHorizon() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            RowStore store = new RowStore(redis, 10, Duration.ofHours(1), 1_000_000, 1_000_000);
            for (int i = 0; i < 300; i++) {
                store.write("small", List.of(new RowStore.Op("r" + i, row(i, 10), null)));
            }
            assertThat(redis.cmd().xlen(Keys.changes(Keys.partition("small")))).isEqualTo(300);
        }
    }

    @Test
    void theHardCapInChangesIsExactAndKeepsTheCounterExact() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            RowStore store = new RowStore(redis, 10, Duration.ofHours(1), 50, 10_000_000);
            int p = Keys.partition("capped");
            for (int i = 0; i < 200; i++) {
                store.write("capped", List.of(new RowStore.Op("r" + (i % 30), row(i, 50), null)));
            }
            assertThat(redis.cmd().xlen(Keys.changes(p))).isEqualTo(50);
            assertThat(Long.parseLong(redis.cmd().get(Keys.changeBytes(p)))).isEqualTo(counted(redis, p));
        }
    }

    @Test
    void aCounterThatDriftedHealsInsteadOfEmptyingTheHistoryForEver() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            RowStore store = new RowStore(redis, 10, Duration.ZERO, 1_000_000, 50_000);
            int p = Keys.partition("drift");
            redis.cmd().set(Keys.changeBytes(p), "999999999");
            for (int i = 0; i < 20; i++) {
                store.write("drift", List.of(new RowStore.Op("r" + i, row(i, 100), null)));
            }
            assertThat(Long.parseLong(redis.cmd().get(Keys.changeBytes(p)))).isEqualTo(counted(redis, p));
            assertThat(redis.cmd().xlen(Keys.changes(p))).isGreaterThan(1L);
        }
    }
}
