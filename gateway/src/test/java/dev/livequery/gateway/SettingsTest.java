package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
    @Test
    void readsKeysAndMapsThemIntoEngineOptions() {
        Settings s = Settings.from(Config.just(ConfigSources.create(Map.of(
                "livequery.write-deadline",
                "PT2S",
                "livequery.limits.max-window",
                "77",
                "livequery.limits.max-queued",
                "9",
                "livequery.tables.allow",
                "a, b",
                "livequery.secret",
                "a-long-enough-test-secret",
                "livequery.backend",
                "local"))));
        assertThat(s.writeDeadline()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.demoEnabled()).isTrue();
        assertThat(s.engineOptions().maxWindow()).isEqualTo(77);
        assertThat(s.engineOptions().maxQueued()).isEqualTo(9);
        assertThat(s.engineOptions().tables()).containsExactlyInAnyOrder("a", "b");
        assertThat(new String(s.engineOptions().secret())).isEqualTo("a-long-enough-test-secret");
        assertThat(Settings.from(Config.just(ConfigSources.create(Map.of("livequery.backend", "redis"))))
                        .demoEnabled())
                .isFalse();
    }

    @Test
    void clusterModeNeedsRoomForASnapshotInTheQueue() {
        assertThatThrownBy(() -> Settings.from(Config.just(ConfigSources.create(Map.of(
                        "livequery.backend",
                        "redis",
                        "livequery.limits.max-window",
                        "100",
                        "livequery.limits.max-queued",
                        "101")))))
                .hasMessageContaining("livequery.limits.max-queued")
                .hasMessageContaining("102");
        assertThat(Settings.from(Config.just(ConfigSources.create(Map.of(
                                "livequery.backend",
                                "redis",
                                "livequery.limits.max-window",
                                "100",
                                "livequery.limits.max-queued",
                                "102"))))
                        .maxQueued())
                .isEqualTo(102);
        assertThat(Settings.from(Config.just(ConfigSources.create(Map.of(
                                "livequery.backend",
                                "local",
                                "livequery.limits.max-window",
                                "100",
                                "livequery.limits.max-queued",
                                "4"))))
                        .maxQueued())
                .isEqualTo(4);
    }

    @Test
    void badValuesNameTheKey() {
        assertThatThrownBy(() -> Settings.from(
                        Config.just(ConfigSources.create(Map.of("livequery.write-deadline", "10 seconds")))))
                .hasMessageContaining("livequery.write-deadline");
        // docs/protocol.md: a value that is out of range stops the start, naming its key
        String[][] bad = {
            {"livequery.shutdown-grace", "-PT1S"},
            {"livequery.demo.rows", "0"},
            {"livequery.demo.changes-per-second", "-1"},
            {"livequery.demo.changes-per-second", "NaN"},
            {"livequery.resume.horizon-changes", "-1"},
            {"livequery.resume.horizon-time", "PT0S"},
        };
        for (String[] kv : bad) {
            assertThatThrownBy(() -> Settings.from(Config.just(ConfigSources.create(Map.of(kv[0], kv[1])))))
                    .as(kv[0] + "=" + kv[1])
                    .hasMessageContaining(kv[0]);
        }
        Settings ok = Settings.from(Config.just(ConfigSources.create(Map.of(
                "livequery.shutdown-grace", "PT0S",
                "livequery.demo.changes-per-second", "0",
                "livequery.resume.horizon-changes", "0"))));
        assertThat(ok.shutdownGrace()).isZero();
        assertThat(ok.resumeHorizonChanges()).isZero();
        assertThatThrownBy(() -> dev.livequery.gateway.auth.AuthSettings.from(
                        Config.just(ConfigSources.create(Map.of("livequery.limits.per-address.awaiting-auth", "-1")))))
                .hasMessageContaining("livequery.limits.per-address.awaiting-auth");
        assertThat(dev.livequery.gateway.auth.AuthSettings.from(Config.just(ConfigSources.create(Map.of())))
                        .limits()
                        .awaitingAuth())
                .isEqualTo(64);
    }
}
