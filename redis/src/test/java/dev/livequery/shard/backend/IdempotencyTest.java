package dev.livequery.shard.backend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.core.WriteResult;
import dev.livequery.shard.RedisProcess;
import dev.livequery.shard.store.Keys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A write retried under the same Idempotency-Key (its first answer lost) applies once. */
class IdempotencyTest {
    static ObjectNode row(int n) {
        return (ObjectNode) Json.MAPPER.createObjectNode().put("n", n);
    }

    @Test
    void aRetriedWriteAppliesOnceAndAnswersTheFirstResult() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false);
                RedisBackend gw = new RedisBackend(EngineOptions.defaults(), redis.uri(), "gwI", new SimpleMeterRegistry())) {
            Backend once = gw.idempotent("key-1");
            WriteResult first = once.put("idem", "a", row(1), null);
            WriteResult retry = gw.idempotent("key-1").put("idem", "a", row(2), null);
            assertThat(retry.version()).isEqualTo(first.version());
            assertThat(gw.get("idem", "a").data().get("n").asInt()).isEqualTo(1);

            List<WriteResult> b1 = gw.idempotent("key-2").batch("idem", List.of(row(3).put("id", "b")), List.of("a"));
            List<WriteResult> b2 = gw.idempotent("key-2").batch("idem", List.of(row(4).put("id", "b")), List.of("a"));
            assertThat(b2).extracting(WriteResult::version).isEqualTo(b1.stream().map(WriteResult::version).toList());
            assertThat(gw.get("idem", "b").data().get("n").asInt()).isEqualTo(3);

            WriteResult other = gw.idempotent("key-3").put("idem", "c", row(5), null);
            assertThat(other.version()).isGreaterThan(b1.get(1).version());
            // One stream entry per applied change: 1 put + 2 batch ops + 1 put.
            assertThat(gw.put("idem", "d", row(6), null).version()).isEqualTo(other.version() + 1);
            try (var direct = dev.livequery.shard.store.Redis.connect(redis.uri(), java.time.Duration.ofSeconds(2))) {
                assertThat(direct.cmd().xlen(Keys.changes(Keys.partition("idem")))).isEqualTo(5);
            }
        }
    }
}
