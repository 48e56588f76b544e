package dev.livequery.redis.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PROTOCOL §3: a partition's stream keeps the last N changes or the last T, whichever is more. */
@Cluster
class HorizonTest {
    static ObjectNode row(int n) {
        return Json.MAPPER.createObjectNode().put("n", n);
    }

    static long written(RowStore store, Redis redis, String table, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            store.write(table, List.of(new RowStore.Op("r" + i, row(i), null)));
        }
        return redis.cmd().xlen(Keys.changes(Keys.partition(table)));
    }

    /**
     * The guarantee is "at least the horizon"; the trim runs once per {@link WriteScript#TRIM_EVERY}
     * changes, so up to that many minus one more stay, whatever the number of writes.
     */
    @Test
    void keepsTheCountOnceChangesAreOlderThanTheTime() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            RowStore store = new RowStore(redis, 10, Duration.ZERO, 1_000);
            for (int n = 1; n <= 250; n++) {
                assertThat(written(store, redis, "h1", 1))
                        .as("changes kept after %d writes", n)
                        .isBetween((long) Math.min(n, 10), 10L + WriteScript.TRIM_EVERY - 1);
            }
        }
    }

    @Test
    void keepsEverythingYoungerThanTheTime() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            assertThat(written(new RowStore(redis, 10, Duration.ofMinutes(5), 1_000), redis, "h2", 250))
                    .isEqualTo(250);
        }
    }
}
