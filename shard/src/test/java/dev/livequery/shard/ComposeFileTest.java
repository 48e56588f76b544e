package dev.livequery.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine.Option;

/** docker-compose.yml agrees with the configuration keys the processes actually read (no Docker needed). */
class ComposeFileTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    /** PROTOCOL §8 keys the gateway reads from the environment, plus the shared HMAC secret. */
    static final Set<String> GATEWAY_ENV =
            Set.of("SERVER_PORT", "LIVEQUERY_BACKEND", "LIVEQUERY_REDIS_URI", "LIVEQUERY_SECRET");

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    static Set<String> shardEnvKeys() {
        Set<String> keys = new HashSet<>();
        Pattern env = Pattern.compile("\\$\\{env:([A-Z0-9_]+)");
        for (Field f : ShardMain.class.getDeclaredFields()) {
            Option o = f.getAnnotation(Option.class);
            if (o != null) {
                Matcher m = env.matcher(o.defaultValue());
                if (m.find()) {
                    keys.add(m.group(1));
                }
            }
        }
        return keys;
    }

    @Test
    void servicesPortsAndEnvironmentMatchTheConfigKeys() throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
        Map<String, Object> services = map(compose.get("services"));
        assertThat(services).containsKeys("redis", "shard1", "shard2", "shard3", "gateway1", "gateway2");
        assertThat(String.valueOf(map(services.get("redis")).get("command"))).contains("--appendonly, yes");

        Set<String> shardKeys = shardEnvKeys();
        assertThat(shardKeys).contains("LIVEQUERY_SHARD_ID", "LIVEQUERY_REDIS_URI", "LIVEQUERY_SECRET");
        Set<String> ids = new HashSet<>();
        Set<String> secrets = new HashSet<>();
        for (String s : List.of("shard1", "shard2", "shard3")) {
            Map<String, Object> svc = map(services.get(s));
            Map<String, Object> env = map(svc.get("environment"));
            assertThat(shardKeys).as("env of %s is read by ShardMain", s).containsAll(env.keySet());
            assertThat(ids.add(String.valueOf(env.get("LIVEQUERY_SHARD_ID"))))
                    .as("unique shard id")
                    .isTrue();
            assertThat(String.valueOf(env.get("LIVEQUERY_REDIS_URI"))).isEqualTo("redis://redis:6379");
            assertThat(svc).containsKey("healthcheck");
            secrets.add(String.valueOf(env.get("LIVEQUERY_SECRET")));
            checkDockerfile(svc);
        }
        Set<String> hostPorts = new HashSet<>();
        for (String g : List.of("gateway1", "gateway2")) {
            Map<String, Object> svc = map(services.get(g));
            Map<String, Object> env = map(svc.get("environment"));
            assertThat(GATEWAY_ENV).as("env of %s", g).containsAll(env.keySet());
            assertThat(env.get("LIVEQUERY_BACKEND")).isEqualTo("redis");
            assertThat(String.valueOf(env.get("LIVEQUERY_REDIS_URI"))).isEqualTo("redis://redis:6379");
            List<Object> ports = (List<Object>) svc.get("ports");
            assertThat(ports).hasSize(1);
            String[] hc = String.valueOf(ports.get(0)).split(":");
            assertThat(hc[1]).as("container port is SERVER_PORT").isEqualTo(String.valueOf(env.get("SERVER_PORT")));
            assertThat(hostPorts.add(hc[0])).as("distinct host port").isTrue();
            assertThat(svc).containsKey("healthcheck");
            secrets.add(String.valueOf(env.get("LIVEQUERY_SECRET")));
            checkDockerfile(svc);
        }
        assertThat(secrets).as("one HMAC secret for every process").hasSize(1);
    }

    private static void checkDockerfile(Map<String, Object> svc) throws Exception {
        Map<String, Object> build = map(svc.get("build"));
        assertThat(build.get("context")).isEqualTo(".");
        String df = Files.readString(ROOT.resolve(String.valueOf(build.get("dockerfile"))));
        Matcher from = Pattern.compile("(?m)^FROM eclipse-temurin:(\\d+)").matcher(df);
        int stages = 0;
        while (from.find()) {
            stages++;
            assertThat(Integer.parseInt(from.group(1))).as("JDK 21+").isGreaterThanOrEqualTo(21);
        }
        assertThat(stages).as("multi-stage").isGreaterThanOrEqualTo(2);
        assertThat(df).contains("HEALTHCHECK");
    }
}
