package dev.livequery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ServerGc} against real JVMs: a collection the server makes shows in what it reads. */
class ServerGcTest {
    /** The "server": says ready, then collects (a full, stop-the-world collection) on each line "gc". */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            System.out.println("ready");
            System.out.flush();
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("gc")) {
                    System.gc();
                    System.out.println("done");
                    System.out.flush();
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-XX:+UseG1GC", "-XX:+UseParallelGC"})
    void countsTheServersPausesIncludingFullCollections(String collector) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(
                        List.of(java, collector, "-cp", System.getProperty("java.class.path"), Child.class.getName()))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (BufferedReader out =
                        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                PrintStream cmd = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8)) {
            assertThat(out.readLine()).isEqualTo("ready");
            ServerGc gc = ServerGc.attach(child.pid());
            assertThat(gc).as("attached to the child JVM").isNotNull();
            System.gc(); // what ServerGc holds must keep the counters mapped (unmapped, a read faults)
            ServerGc.Totals before = gc.read();
            for (int i = 0; i < 3; i++) {
                cmd.println("gc");
                assertThat(out.readLine()).isEqualTo("done");
            }
            ServerGc.Totals after = gc.read();
            assertThat(after.pauses() - before.pauses()).isGreaterThanOrEqualTo(3);
            assertThat(after.seconds()).isGreaterThan(before.seconds());
        } finally {
            child.destroy();
            child.waitFor();
        }
    }

    @Test
    void aProcessThatIsNoJvmHasNone() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            assertThat(ServerGc.attach(sleep.pid())).isNull();
        } finally {
            sleep.destroy();
            sleep.waitFor();
        }
    }
}
