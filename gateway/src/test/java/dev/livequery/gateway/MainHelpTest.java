package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code java -jar livequery-gateway.jar --help} prints how it is configured and starts nothing;
 * any other argument is refused rather than ignored.
 */
class MainHelpTest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) {
        return Main.arguments(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void helpSaysHowToConfigureAndReturns() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("application.yaml", "LIVEQUERY_WRITE_DEADLINE", "-Dlivequery.write-deadline=PT5S");
        assertThat(err.size()).isZero();
    }

    @Test
    void noArgumentsStartsTheGateway() {
        assertThat(run()).isNegative();
        assertThat(out.size() + err.size()).isZero();
    }

    @Test
    void aSettingWrittenAfterTheJarIsRefusedNotIgnored() {
        assertThat(run("-Dserver.port=9090")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("unexpected argument -Dserver.port=9090", "before -jar");
        assertThat(run("--help", "--port")).isEqualTo(2);
    }
}
