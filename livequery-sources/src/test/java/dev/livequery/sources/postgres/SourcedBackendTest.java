package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LocalBackend;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Writes under an Idempotency-Key keep both the source's read-only check and the key's memory. */
class SourcedBackendTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A source that feeds {@code items} and is always ready (the status is an interface seam). */
    private static final class Feeding implements SourceStatus {
        private final PostgresSourceConfig config = new PostgresSourceConfig(
                "jdbc:postgresql://x/db",
                "u",
                "p",
                "livequery",
                "livequery",
                List.of(new PostgresSourceConfig.TableMapping("public", "items", "items", "id")),
                false);

        @Override
        public PostgresSourceConfig config() {
            return config;
        }

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public Map<String, Object> health() {
            return Map.of();
        }

        @Override
        public Map<String, Long> gauges() {
            return Map.of();
        }

        @Override
        public void close() {}
    }

    private static ObjectNode row(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }

    @Test
    void aKeyedWriteToAFedTableIsStillRefused() {
        try (LocalBackend local = new LocalBackend(EngineOptions.defaults())) {
            Backend b = new SourcedBackend(local, new Feeding()).idempotent("k1", "PUT items a {}");
            assertThatThrownBy(() -> b.put("items", "a", row("{\"id\":\"a\"}"), null, null))
                    .isInstanceOf(LiveQueryException.class)
                    .extracting(e -> ((LiveQueryException) e).code())
                    .isEqualTo(LiveQueryException.Code.FORBIDDEN);
        }
    }

    @Test
    void aKeyedWriteToAnotherTableAppliesOnceAndTheKeyIsBoundToItsRequest() throws Exception {
        try (LocalBackend local = new LocalBackend(EngineOptions.defaults())) {
            SourcedBackend b = new SourcedBackend(local, new Feeding());
            long first = b.idempotent("k2", "PUT notes n {1}")
                    .put("notes", "n", row("{\"id\":\"n\",\"x\":1}"), null, null)
                    .version();
            long retry = b.idempotent("k2", "PUT notes n {1}")
                    .put("notes", "n", row("{\"id\":\"n\",\"x\":1}"), null, null)
                    .version();
            assertThat(retry).isEqualTo(first);
            assertThat(local.lastChange("notes")).as("applied once").isEqualTo(first);
            assertThatThrownBy(() -> b.idempotent("k2", "PUT notes n {2}")
                            .put("notes", "n", row("{\"id\":\"n\",\"x\":2}"), null, null))
                    .isInstanceOf(LiveQueryException.class)
                    .extracting(e -> ((LiveQueryException) e).code())
                    .isEqualTo(LiveQueryException.Code.IDEMPOTENCY_KEY_REUSED);
        }
    }
}
