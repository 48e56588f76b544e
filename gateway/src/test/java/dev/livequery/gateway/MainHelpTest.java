package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code java -jar livequery-gateway.jar --help} prints how it is configured and starts nothing. */
class MainHelpTest {
    @Test
    void helpSaysHowToConfigureAndReturns() {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            Main.main(new String[] {"--help"});
        } finally {
            System.setOut(out);
        }
        assertThat(buf.toString(StandardCharsets.UTF_8))
                .contains("application.yaml", "LIVEQUERY_WRITE_DEADLINE", "-Dlivequery.write-deadline=PT5S");
    }
}
