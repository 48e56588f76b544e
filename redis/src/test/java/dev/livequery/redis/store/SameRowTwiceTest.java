package dev.livequery.redis.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The write script reads each row once and remembers what it wrote: a write that changes the same
 * row twice (a source transaction may) records, for the second change, the row the first one left.
 */
@Cluster
class SameRowTwiceTest {
    static ObjectNode row(int n) {
        return Json.MAPPER.createObjectNode().put("n", n);
    }

    @Test
    void theSecondChangeOfARowInOneWriteSeesTheFirst() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            RowStore store = new RowStore(redis, 10_000, Duration.ofMinutes(5), 1_000_000);
            long v0 = store.write("twice", List.of(new RowStore.Op("a", row(0), null)))
                    .get(0);
            List<Long> vs = store.write(
                    "twice",
                    List.of(
                            new RowStore.Op("a", row(1), null),
                            new RowStore.Op("a", null, null),
                            new RowStore.Op("a", row(3), null)));
            assertThat(vs).containsExactly(v0 + 1, v0 + 2, v0 + 3);
            List<RowStore.Change> cs = redis
                    .cmd()
                    .xrange(Keys.changes(Keys.partition("twice")), Range.create("-", "+"), Limit.from(10))
                    .stream()
                    .map(RowStore::change)
                    .toList();
            assertThat(cs).hasSize(4);
            assertThat(cs.get(1).beforeVersion()).isEqualTo(v0);
            assertThat(cs.get(1).before()).isEqualTo(row(0));
            assertThat(cs.get(2).beforeVersion()).isEqualTo(v0 + 1);
            assertThat(cs.get(2).before()).isEqualTo(row(1));
            assertThat(cs.get(2).after()).isNull();
            assertThat(cs.get(3).beforeVersion()).isZero();
            assertThat(cs.get(3).before()).isNull();
            assertThat(store.get("twice", "a").version()).isEqualTo(v0 + 3);
            assertThat(store.get("twice", "a").data()).isEqualTo(row(3));
        }
    }
}
