package dev.livequery.redis.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import org.junit.jupiter.api.Test;

/** The credentials of a {@code redis-cluster://} URI reach every seed, not only the first. */
class ClusterSeedsTest {
    @Test
    void everySeedCarriesTheCredentials() {
        var seeds = Redis.clusterSeeds("redis-cluster://app:s3cr%40t@10.0.0.1:7000, 10.0.0.2:7001,10.0.0.3:7002");
        assertThat(seeds).extracting(RedisURI::getHost).containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.3");
        assertThat(seeds).extracting(RedisURI::getPort).containsExactly(7000, 7001, 7002);
        for (RedisURI u : seeds) {
            RedisCredentials c = u.getCredentialsProvider().resolveCredentials().block();
            assertThat(c.getUsername()).isEqualTo("app");
            assertThat(new String(c.getPassword())).isEqualTo("s3cr@t");
        }
    }

    @Test
    void withoutCredentialsNoSeedHasAny() {
        var seeds = Redis.clusterSeeds("redis-cluster://h1:7000,h2:7001");
        assertThat(seeds)
                .allSatisfy(u -> assertThat(u.getCredentialsProvider()
                                .resolveCredentials()
                                .block()
                                .hasPassword())
                        .isFalse());
    }

    @Test
    void anEmptyHostIsACodedErrorThatDoesNotEchoThePassword() {
        assertThatThrownBy(() -> Redis.clusterSeeds("redis-cluster://:pw@h1:7000,,h2:7001"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty host")
                .hasMessageNotContaining("pw");
    }
}
