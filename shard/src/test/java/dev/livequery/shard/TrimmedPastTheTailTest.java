package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.query;
import static dev.livequery.shard.Fixtures.row;
import static dev.livequery.shard.Fixtures.truth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import io.lettuce.core.UnblockType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A partition's change stream is trimmed past what its owner's tail has read (the owner lagged
 * by more than the stream's hard cap or byte bound, which trim whatever the entries' age: here a
 * writer whose cap is 5 changes, while the owner is paused with its lease kept). The lost entries
 * hold a quiet table's last change; the entries left are of another table of the same partition,
 * whose versions go on without a gap, so the tail's per-table version check sees nothing, and
 * the owner's ticks report the stream's end as applied. The quiet table's window must not be
 * left without that change while told live.
 */
@Cluster
class TrimmedPastTheTailTest {
    static final int CAP = 5;

    @Test
    void aQuietTablesChangeTrimmedBeforeTheTailReadItIsNotLost() throws Exception {
        String quiet = "tq";
        int p = Keys.partition(quiet);
        String busy = null;
        for (int i = 0; busy == null; i++) {
            if (Keys.partition("tb" + i) == p && !("tb" + i).equals(quiet)) {
                busy = "tb" + i;
            }
        }
        Query q = query("{\"table\":\"" + quiet + "\",\"order\":[{\"field\":\"n\"}],\"limit\":5}");
        try (RedisProcess redis = RedisProcess.start(false);
                ShardProcess shard = ShardProcess.start("tp1", redis.uri(), Duration.ofSeconds(10));
                RedisBackend gw = new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwTP", new SimpleMeterRegistry());
                RedisBackend writer = new RedisBackend(
                        Fixtures.OPTIONS.withHorizon(CAP, Duration.ofMinutes(5), CAP),
                        redis.uri(),
                        "gwTPW",
                        new SimpleMeterRegistry());
                Redis direct = Redis.connect(redis.uri(), Duration.ofSeconds(2))) {
            await().atMost(Duration.ofSeconds(20)).until(() -> gw.ready() && writer.ready());
            for (int i = 0; i < 8; i++) {
                writer.put(quiet, "r" + i, row("{\"n\":" + (i * 10) + "}"), null);
                writer.put(busy, "b" + i, row("{\"n\":" + i + "}"), null);
            }
            Client c = new Client(gw.subscribe(q, null, () -> {}));
            NeverSilentTest.converge(c, gw, q);

            shard.signal("STOP"); // lags (its lease lasts 10 s)
            // A read the tail left blocked in Redis would be served the next entry while the shard
            // sleeps (it finds the reply when it wakes): end every blocked read now, so what is
            // written next waits in the stream. The gateways' readers just read again.
            for (String client : direct.cmd().clientList().split("\n")) {
                if (client.contains(" flags=b ")) {
                    long id = Long.parseLong(client.substring(3, client.indexOf(' ')));
                    direct.cmd().clientUnblock(id, UnblockType.TIMEOUT);
                }
            }
            writer.put(quiet, "new", row("{\"n\":-1}"), null); // enters the window
            for (int i = 0; i < CAP; i++) { // the cap keeps these, contiguous with what the tail read
                writer.put(busy, "b" + i, row("{\"n\":" + (100 + i) + "}"), null);
            }
            System.out.println("stream of partition " + p + ": " + direct.cmd().xlen(Keys.changes(p))
                    + " entries, from "
                    + direct.cmd().xrange(Keys.changes(p), io.lettuce.core.Range.create("-", "+")).stream()
                            .map(m -> m.getBody().get("t") + "/" + m.getBody().get("v"))
                            .toList());
            shard.signal("CONT");

            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> {
                        assertThat(c.poll().window())
                                .as("the quiet table's window (statuses told: %s)", c.statuses())
                                .isEqualTo(truth(gw, q));
                        assertThat(c.ready()).isTrue();
                    });
            assertThat(c.violations()).isEmpty();
            System.out.println("trimmed past the tail: resets " + c.resets() + ", statuses " + c.statuses());
        }
    }
}
