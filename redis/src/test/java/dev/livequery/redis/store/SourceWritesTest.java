package dev.livequery.redis.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.redis.cluster.SourceLease;
import dev.livequery.redis.store.SourceWrites.Outcome;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A source's writes against a real redis-server: rows and position land together or not at all,
 * a replayed unit changes nothing, and once a newer lease holder claimed a table the old holder's
 * writes are refused. The source lease is the partitions' fenced lease on the source's own key.
 */
@Cluster
class SourceWritesTest {
    static ObjectNode row(int n) {
        return Json.MAPPER.createObjectNode().put("n", n);
    }

    @Test
    void rowsAndPositionAreOneWriteAndAReplayOrAnOldHolderChangesNothing() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            RowStore rows = new RowStore(redis, 1000, Duration.ofMinutes(5), 10_000);
            SourceWrites w = new SourceWrites(redis, rows, "slot1");
            assertThat(w.claim("items", 1)).as("nothing applied yet").isNull();

            assertThat(w.write(
                            "items",
                            List.of(new RowStore.Op("a", row(1), null, true), new RowStore.Op("b", row(2), null, true)),
                            1,
                            100,
                            "{\"o\":100}",
                            2))
                    .isEqualTo(Outcome.APPLIED);
            assertThat(w.claim("items", 1)).isEqualTo(new SourceWrites.Position(100, "{\"o\":100}", 2));
            assertThat(rows.table("items").rows()).hasSize(2);

            // the same transaction again (a replay after failover): nothing written, nothing counted
            assertThat(w.write("items", List.of(new RowStore.Op("c", row(3), null, true)), 1, 100, "{\"o\":100}", 1))
                    .isEqualTo(Outcome.DUPLICATE);
            assertThat(rows.table("items").rows()).hasSize(2);
            assertThat(w.claim("items", 1).changes()).isEqualTo(2);

            // a failed precondition stores no position either
            long va = rows.get("items", "a").version();
            assertThatThrownBy(() -> w.write("items", List.of(new RowStore.Op("a", row(9), va + 7)), 1, 101, "{}", 1))
                    .isInstanceOf(LiveQueryException.class);
            assertThat(w.claim("items", 1).lsn()).isEqualTo(100);

            // a table the transaction did not touch moves forward, never back
            w.advance("pairs", 1, 100, "{\"o\":100}");
            w.advance("pairs", 1, 90, "{\"o\":90}");
            assertThat(w.claim("pairs", 1)).isEqualTo(new SourceWrites.Position(100, "{\"o\":100}", 0));

            // a newer holder claims the table: the old one's next write and advance are refused
            assertThat(w.claim("items", 2).lsn()).isEqualTo(100);
            assertThatThrownBy(
                            () -> w.write("items", List.of(new RowStore.Op("d", row(4), null, true)), 1, 102, "{}", 1))
                    .isInstanceOf(SourceWrites.Fenced.class);
            assertThatThrownBy(() -> w.advance("items", 1, 102, "{}")).isInstanceOf(SourceWrites.Fenced.class);
            assertThatThrownBy(() -> w.claim("items", 1)).isInstanceOf(SourceWrites.Fenced.class);
            assertThat(rows.get("items", "d")).isNull();
            assertThat(w.write("items", List.of(new RowStore.Op("d", row(4), null, true)), 2, 102, "{}", 1))
                    .isEqualTo(Outcome.APPLIED);
            assertThat(w.claim("items", 2)).isEqualTo(new SourceWrites.Position(102, "{}", 3));

            // a fresh snapshot from a new slot (another history): the position is forgotten, fenced,
            // and a write below the old LSN is applied again; the change count stays
            assertThatThrownBy(() -> w.reset("items", 1)).isInstanceOf(SourceWrites.Fenced.class);
            w.reset("items", 2);
            assertThat(w.claim("items", 2))
                    .as("reset: a successor snapshots too")
                    .isNull();
            assertThat(w.write("items", List.of(new RowStore.Op("e", row(5), null, true)), 2, 7, "{\"o\":7}", 1))
                    .isEqualTo(Outcome.APPLIED);
            assertThat(w.claim("items", 2)).isEqualTo(new SourceWrites.Position(7, "{\"o\":7}", 4));
        }
    }

    @Test
    void oneHolderAtATimeAndTheNextTakesOverWithAHigherFenceWhenTheLeaseExpires() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            SourceLease lease = new SourceLease(redis, "slot1");
            String a = lease.renew("gw-a", 600, null);
            assertThat(a).startsWith("gw-a:");
            assertThat(lease.renew("gw-b", 600, null)).as("held by a").isNull();
            assertThat(lease.renew("gw-a", 600, a)).isEqualTo(a);
            // a stops renewing (killed): b gets it within the TTL, with a higher fence
            String[] b = new String[1];
            await().atMost(Duration.ofSeconds(10)).until(() -> (b[0] = lease.renew("gw-b", 600, null)) != null);
            assertThat(SourceLease.fence(b[0])).isGreaterThan(SourceLease.fence(a));
            assertThat(lease.renew("gw-a", 600, a)).as("a's lease is gone").isNull();
            lease.release(b[0]);
            assertThat(lease.renew("gw-a", 600, null))
                    .as("released: free at once")
                    .startsWith("gw-a:");
        }
    }
}
