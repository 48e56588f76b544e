package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.shard.cluster.Shard;
import java.time.Duration;

/**
 * The table a shard still serves from a partition that also holds a table it leaves out
 * ({@link BadTableNameTest}, {@link OutsideAllowListTest}): its subscriber must get the window
 * exact, as if the other table were not there.
 */
final class KeptTable {
    static final String NAME = "kept";
    static final Query QUERY = query("{\"table\":\"" + NAME + "\",\"limit\":10}");

    private KeptTable() {}

    /** Starts {@code shard}, waits until it holds every partition, and subscribes to the table. */
    static Client subscribeOnceServed(RedisBackend gw, Shard shard) throws LiveQueryException {
        shard.start();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> gw.ready() && shard.owned().size() == 256);
        Client c = new Client(gw.subscribe(QUERY, null, () -> {}));
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> c.poll().ready() && c.window().size() == 1);
        return c;
    }

    /** Waits until the window holds {@code rows} rows, exactly as stored, with no violation on the way. */
    static void awaitExact(Client c, RedisBackend gw, int rows) {
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(c.poll().window()).hasSize(rows).isEqualTo(Fixtures.truth(gw, QUERY)));
        assertThat(c.violations()).isEmpty();
    }
}
