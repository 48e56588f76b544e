package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine's own configuration keys (secret rotation, size limits). */
class EngineOptionsKeysTest {
    @Test
    void keysApplyAndUnsetKeysKeepTheDefaults() {
        EngineOptions d = EngineOptions.defaults();
        assertThat(d.withKeys(k -> null)).satisfies(o -> {
            assertThat(o.previousSecret()).isNull();
            assertThat(o.maxRowBytes()).isEqualTo(EngineOptions.DEFAULT_MAX_ROW_BYTES);
            assertThat(o.maxHistoryBytes()).isEqualTo(EngineOptions.DEFAULT_MAX_HISTORY_BYTES);
        });
        Map<String, String> m = Map.of(
                "livequery.previous-secret",
                "the-old-secret-of-16+-bytes",
                "livequery.previous-secret-overlap",
                "PT10M",
                "livequery.limits.max-row",
                "4096",
                "livequery.limits.max-history-bytes",
                "1000000");
        EngineOptions o = d.withKeys(m::get);
        assertThat(new String(o.previousSecret(), StandardCharsets.UTF_8)).isEqualTo("the-old-secret-of-16+-bytes");
        assertThat(o.previousOverlap()).isEqualTo(Duration.ofMinutes(10));
        assertThat(o.maxRowBytes()).isEqualTo(4096);
        assertThat(o.maxHistoryBytes()).isEqualTo(1_000_000L);
        assertThat(EngineOptions.envName("livequery.limits.max-history-bytes"))
                .isEqualTo("LIVEQUERY_LIMITS_MAX_HISTORY_BYTES");
    }

    @Test
    void badValuesNameTheirKey() {
        EngineOptions d = EngineOptions.defaults();
        assertThatThrownBy(() -> d.withKeys(Map.of("livequery.limits.max-row", "big")::get))
                .hasMessageContaining("livequery.limits.max-row");
        assertThatThrownBy(() -> d.withKeys(Map.of("livequery.previous-secret-overlap", "1h")::get))
                .hasMessageContaining("livequery.previous-secret-overlap");
        assertThatThrownBy(() -> d.withKeys(Map.of("livequery.previous-secret", "short")::get))
                .hasMessageContaining("previous secret");
        assertThatThrownBy(() -> d.withKeys(
                        Map.of("livequery.limits.max-row", "1000", "livequery.limits.max-history-bytes", "1500")::get))
                .hasMessageContaining("maxHistoryBytes");
    }
}
