package dev.livequery.testkit.process;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livequery.testkit.Cluster;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

@Cluster
class RedisProcessTest {
    @Test
    void aTakenPortIsSaidAndNotMistakenForOurServer() throws Exception {
        try (RedisProcess other = RedisProcess.start(false)) {
            // another redis answers PING on that port: ours must not pass for it
            assertThatThrownBy(() -> RedisProcess.start(other.port, false))
                    .isInstanceOf(PortTaken.class)
                    .hasMessageContaining("port " + other.port);
        }
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> RedisProcess.start(taken.getLocalPort(), false))
                    .isInstanceOf(PortTaken.class);
        }
    }
}
