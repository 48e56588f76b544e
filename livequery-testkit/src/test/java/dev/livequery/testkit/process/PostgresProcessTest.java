package dev.livequery.testkit.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.livequery.testkit.Slow;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

@Slow
class PostgresProcessTest {
    @Test
    void aTakenPortIsSaidSoAnotherCanBeTried() throws Exception {
        assumeTrue(PostgresProcess.available(), "initdb not installed");
        Path dir = PostgresProcess.initdb();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> PostgresProcess.start(dir, taken.getLocalPort()))
                    .isInstanceOf(PortTaken.class)
                    .hasMessageContaining("port " + taken.getLocalPort());
        }
        // the same cluster starts on a port that is free, and serves
        try (PostgresProcess pg = PostgresProcess.start(dir, RedisProcess.freePort());
                var c = pg.connect();
                var rs = c.createStatement().executeQuery("select 1")) {
            assertThat(rs.next()).isTrue();
        }
        assertThat(Files.exists(dir)).isFalse();
    }
}
