package dev.livequery.shard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * A 3-node Redis Cluster of the test's own: {@code redis-server --cluster-enabled yes} on free
 * loopback ports (and free bus ports), joined by {@code redis-cli --cluster create}, no replicas.
 */
public final class RedisCluster implements AutoCloseable {
    public final List<RedisProcess> nodes = new ArrayList<>();
    private final List<String> addrs = new ArrayList<>();

    private RedisCluster() {
    }

    public static RedisCluster start() throws Exception {
        RedisCluster c = new RedisCluster();
        try {
            for (int i = 0; i < 3; i++) {
                RedisProcess n = RedisProcess.start(RedisProcess.freeClusterPort(), false,
                        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000");
                c.nodes.add(n);
                c.addrs.add("127.0.0.1:" + n.port);
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            create.addAll(c.addrs);
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed: " + out);
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> c.nodes.stream().allMatch(RedisCluster::clusterOk));
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    /** {@code redis-cluster://h1:p1,h2:p2,h3:p3}: what shards and gateways take as their Redis URI. */
    public String uri() {
        return "redis-cluster://" + String.join(",", addrs);
    }

    static boolean clusterOk(RedisProcess n) {
        try {
            Process p = new ProcessBuilder("redis-cli", "-p", Integer.toString(n.port), "cluster", "info").start();
            String s = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return s.contains("cluster_state:ok");
        } catch (Exception e) {
            return false;
        }
    }

    @Override
    public void close() {
        for (RedisProcess n : nodes) {
            n.close();
        }
    }
}
