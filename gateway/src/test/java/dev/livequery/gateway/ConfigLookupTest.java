package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLookupTest {
    /** A flat source (system properties, -D) spells a list as key.0, key.1…; it must not be dropped. */
    @Test
    void aListAsNumberedKeysOfAFlatSourceIsThatList() {
        Config config = Config.just(ConfigSources.create(Map.of(
                "livequery.tables.allow.0", "items",
                "livequery.tables.allow.1", "audit_log",
                "livequery.trusted-proxies.0", "10.0.0.1",
                "livequery.secret", "a-long-enough-test-secret")));
        ConfigLookup l = new ConfigLookup(config, Map.of());
        assertThat(l.list("livequery.trusted-proxies")).containsExactly("10.0.0.1");
        assertThat(Settings.from(config).engineOptions().tables()).containsExactlyInAnyOrder("items", "audit_log");
    }

    @Test
    void aCommaSeparatedValueIsStillAList() {
        ConfigLookup l = new ConfigLookup(
                Config.just(ConfigSources.create(Map.of("livequery.allowed-origins", "https://a, https://b"))),
                Map.of());
        assertThat(l.list("livequery.allowed-origins")).containsExactly("https://a", "https://b");
    }

    /** Keys under a list that are not 0..n-1 are a mistake to report, not an unset list that admits every table. */
    @Test
    void anObjectWhereAValueOrListBelongsIsRefused() {
        ConfigLookup l = new ConfigLookup(
                Config.just(ConfigSources.create(Map.of("livequery.tables.allow.first", "items"))), Map.of());
        assertThatThrownBy(() -> l.list("livequery.tables.allow"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config livequery.tables.allow is not valid")
                .hasMessageContaining("[first]");
    }
}
