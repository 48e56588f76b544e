package dev.livequery.testkit.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * A Redis Cluster of the test's own: {@code redis-server --cluster-enabled yes} on free loopback
 * ports (and free bus ports), joined by {@code redis-cli --cluster create}: 3 masters, and
 * optionally one replica each.
 */
public final class RedisCluster implements AutoCloseable {
    public final List<RedisProcess> nodes = new ArrayList<>();
    private final List<String> addrs = new ArrayList<>();

    /** One line of {@code CLUSTER NODES}, as far as the tests need it. */
    public record Node(String id, int port, boolean master, String masterId, List<int[]> slots) {
        public boolean serves(int slot) {
            return slots.stream().anyMatch(r -> r[0] <= slot && slot <= r[1]);
        }
    }

    private RedisCluster() {}

    /** 3 masters, no replicas. */
    public static RedisCluster start() throws Exception {
        return start(0);
    }

    /** 3 masters with {@code replicas} replicas each (replication is asynchronous, as Redis has it). */
    public static RedisCluster start(int replicas) throws Exception {
        RedisCluster c = new RedisCluster();
        try {
            for (int i = 0; i < 3 * (1 + replicas); i++) {
                RedisProcess n = RedisProcess.start(
                        RedisProcess.freeClusterPort(),
                        false,
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "2000");
                c.nodes.add(n);
                c.addrs.add("127.0.0.1:" + n.port);
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            create.addAll(c.addrs);
            create.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
            Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed: " + out);
            }
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> c.nodes.stream().allMatch(RedisCluster::clusterOk) && c.linked(replicas));
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    /** Every replica is known to every node and has finished its first sync. */
    private boolean linked(int replicas) {
        if (replicas == 0) {
            return true;
        }
        for (RedisProcess n : nodes) {
            if (topology(n).stream().filter(x -> !x.master()).count() != 3L * replicas) {
                return false;
            }
        }
        return nodes.stream().allMatch(n -> {
            String s = cli(n.port, "info", "replication");
            return s.contains("role:master") || s.contains("master_link_status:up");
        });
    }

    /** {@code redis-cluster://h1:p1,h2:p2,…}: what shards and gateways take as their Redis URI. */
    public String uri() {
        return "redis-cluster://" + String.join(",", addrs);
    }

    public RedisProcess node(int port) {
        return nodes.stream().filter(n -> n.port == port).findFirst().orElseThrow();
    }

    /** The cluster as {@code via} sees it ({@code CLUSTER NODES}); nodes it marks failed included. */
    public static List<Node> topology(RedisProcess via) {
        List<Node> out = new ArrayList<>();
        for (String line : cli(via.port, "cluster", "nodes").split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 8) {
                continue;
            }
            String addr = f[1].substring(0, f[1].indexOf('@'));
            int port = Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
            List<int[]> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // a slot being migrated
                }
                String[] r = f[i].split("-");
                slots.add(new int[] {Integer.parseInt(r[0]), Integer.parseInt(r[r.length - 1])});
            }
            out.add(new Node(f[0], port, f[2].contains("master"), f[3], slots));
        }
        return out;
    }

    /** Runs {@code redis-cli -p port args…} and answers its output (errors included, as redis-cli prints them). */
    public static String cli(int port, String... args) {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return s;
        } catch (Exception e) {
            return "redis-cli failed: " + e;
        }
    }

    static boolean clusterOk(RedisProcess n) {
        return cli(n.port, "cluster", "info").contains("cluster_state:ok");
    }

    @Override
    public void close() {
        for (RedisProcess n : nodes) {
            n.close();
        }
    }
}
