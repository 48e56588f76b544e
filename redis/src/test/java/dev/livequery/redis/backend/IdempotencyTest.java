package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Where;
import dev.livequery.core.WriteResult;
import dev.livequery.redis.store.Keys;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A write retried under the same Idempotency-Key (its first answer lost) applies once. */
@Cluster
class IdempotencyTest {
    static ObjectNode row(int n) {
        return Json.MAPPER.createObjectNode().put("n", n);
    }

    @Test
    void aRetriedWriteAppliesOnceAndAnswersTheFirstResult() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                RedisBackend gw =
                        new RedisBackend(EngineOptions.defaults(), redis.uri(), "gwI", new SimpleMeterRegistry())) {
            WriteResult first = gw.idempotent("key-1", "put a 1").put("idem", "a", row(1), null);
            WriteResult retry = gw.idempotent("key-1", "put a 1").put("idem", "a", row(1), null);
            assertThat(retry.version()).isEqualTo(first.version());
            assertThat(gw.get("idem", "a").data().get("n").asInt()).isEqualTo(1);

            // the same key for another request: refused, nothing written
            assertThatThrownBy(() -> gw.idempotent("key-1", "put a 2").put("idem", "a", row(2), null))
                    .isInstanceOfSatisfying(
                            LiveQueryException.class,
                            e -> assertThat(e.code()).isEqualTo(LiveQueryException.Code.IDEMPOTENCY_KEY_REUSED));
            assertThat(gw.get("idem", "a").version()).isEqualTo(first.version());
            // ... also for another table (whose result key is elsewhere; the key's claim is not)
            assertThatThrownBy(() -> gw.idempotent("key-1", "put other a").put("other", "a", row(1), null))
                    .isInstanceOfSatisfying(
                            LiveQueryException.class,
                            e -> assertThat(e.code()).isEqualTo(LiveQueryException.Code.IDEMPOTENCY_KEY_REUSED));
            // a refused write frees its key: it changed nothing
            assertThatThrownBy(() -> gw.idempotent("key-4", "delete nope").delete("idem", "nope", null))
                    .isInstanceOfSatisfying(
                            LiveQueryException.class,
                            e -> assertThat(e.code()).isEqualTo(LiveQueryException.Code.NOT_FOUND));
            gw.idempotent("key-4", "put other z").put("other", "z", row(1), null);

            List<WriteResult> b1 =
                    gw.idempotent("key-2", "b").batch("idem", List.of(row(3).put("id", "b")), List.of("a"));
            List<WriteResult> b2 =
                    gw.idempotent("key-2", "b").batch("idem", List.of(row(3).put("id", "b")), List.of("a"));
            assertThat(b2)
                    .extracting(WriteResult::version)
                    .isEqualTo(b1.stream().map(WriteResult::version).toList());
            assertThat(gw.get("idem", "b").data().get("n").asInt()).isEqualTo(3);

            // A checked write (here a patch, which reads first) answers a retry before it looks at
            // the rows: the row is at a newer version by now, and If-Match names the old one.
            long vb = b1.get(0).version();
            Where any = Where.parse(Json.MAPPER.readTree("{\"n\":{\"gte\":0}}"));
            WriteResult p1 = gw.idempotent("key-p", "patch b").patch("idem", "b", row(7), vb, any);
            WriteResult p2 = gw.idempotent("key-p", "patch b").patch("idem", "b", row(7), vb, any);
            assertThat(p2.version()).isEqualTo(p1.version());
            assertThatThrownBy(() -> gw.idempotent("key-p", "patch b 8").patch("idem", "b", row(8), vb, any))
                    .isInstanceOfSatisfying(
                            LiveQueryException.class,
                            e -> assertThat(e.code()).isEqualTo(LiveQueryException.Code.IDEMPOTENCY_KEY_REUSED));

            WriteResult other = gw.idempotent("key-3", "put c").put("idem", "c", row(5), null);
            assertThat(other.version()).isEqualTo(p1.version() + 1);
            // One stream entry per applied change: 1 put + 2 batch ops + 1 patch + 1 put.
            assertThat(gw.put("idem", "d", row(6), null).version()).isEqualTo(other.version() + 1);
            try (var direct = dev.livequery.redis.store.Redis.connect(redis.uri(), java.time.Duration.ofSeconds(2))) {
                assertThat(direct.cmd().xlen(Keys.changes(Keys.partition("idem"))))
                        .isEqualTo(6);
                // remembered for the horizon's time (5 minutes by default), not for ever
                long ttl = direct.cmd().pttl(Keys.idempotency(Keys.partition("idem"), "idem", "key-1"));
                assertThat(ttl).isBetween(60_000L, 300_000L);
                // a result remembered by an older gateway (no digest) still answers its retry
                direct.cmd().set(Keys.idempotency(Keys.partition("idem"), "idem", "old"), "3");
                assertThat(gw.idempotent("old", "put e")
                                .put("idem", "e", row(1), null)
                                .version())
                        .isEqualTo(3);
                assertThatThrownBy(() -> gw.get("idem", "e")).isInstanceOf(LiveQueryException.class);
            }
        }
    }
}
