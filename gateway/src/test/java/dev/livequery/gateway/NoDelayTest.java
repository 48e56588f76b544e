package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.common.socket.SocketOptions;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Accepted connections get TCP_NODELAY unless the server config says otherwise, and keep the rest of their options. */
class NoDelayTest {
    private static SocketOptions options(Map<String, String> server) {
        Config helidon = Config.just(ConfigSources.create(server));
        WebServerConfig.Builder b = WebServer.builder();
        b.config(helidon);
        Gateway.noDelay(b, helidon);
        return b.connectionOptions().orElseThrow();
    }

    @Test
    void onByDefault() {
        assertThat(options(Map.of()).tcpNoDelay()).isTrue();
    }

    @Test
    void keepsTheOtherConnectionOptions() {
        SocketOptions o = options(Map.of("connection-options.read-timeout", "PT7S"));
        assertThat(o.tcpNoDelay()).isTrue();
        assertThat(o.readTimeout()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void anExplicitSettingWins() {
        assertThat(options(Map.of("connection-options.tcp-no-delay", "false")).tcpNoDelay())
                .isFalse();
    }
}
