package dev.livequery.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A shard reads its resume horizon from its own environment names, or else from the gateways',
 * so that one environment given to every process gives shards the horizon the gateways trim
 * Redis by. The environment is a process's own, so each case runs in a child JVM.
 */
class ShardEnvTest {
    /** The child: parses the options as the shard does, prints the horizon. */
    public static void main(String[] args) {
        ShardMain m = new ShardMain();
        new CommandLine(m).parseArgs(args);
        System.out.println(m.horizon + " " + m.horizonTime);
    }

    static String horizon(Map<String, String> env, String... args) throws IOException, InterruptedException {
        var cmd = new ArrayList<String>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ShardEnvTest.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("LIVEQUERY_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the child ended").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void theGatewaysNamesServeWhenTheShardsAreUnset() throws Exception {
        assertThat(horizon(Map.of())).isEqualTo("10000 PT5M");
        assertThat(horizon(Map.of("LIVEQUERY_RESUME_HORIZON_CHANGES", "123", "LIVEQUERY_RESUME_HORIZON_TIME", "PT7M")))
                .isEqualTo("123 PT7M");
        assertThat(horizon(Map.of(
                        "LIVEQUERY_RESUME_HORIZON_CHANGES", "123",
                        "LIVEQUERY_HORIZON", "456",
                        "LIVEQUERY_RESUME_HORIZON_TIME", "PT7M",
                        "LIVEQUERY_HORIZON_TIME", "PT9M")))
                .as("the shard's own names win")
                .isEqualTo("456 PT9M");
        assertThat(horizon(Map.of("LIVEQUERY_RESUME_HORIZON_CHANGES", "123"), "--horizon", "789"))
                .as("an option wins over both")
                .startsWith("789 ");
    }
}
