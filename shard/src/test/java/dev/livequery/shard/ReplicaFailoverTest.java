package dev.livequery.shard;

import static dev.livequery.shard.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.store.Keys;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.RedisCluster;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 §4: Redis Cluster with one replica per master, the master of a followed partition
 * killed while replication to its replica is cut, and that stale replica promoted. Writes the
 * master acknowledged are gone (replication is asynchronous; there is no {@code WAIT}) and the
 * partition's change numbers will be reused for other changes. Subscribers of that partition
 * must get {@code reset epoch} and converge, never a splice over reused versions, and never be
 * silently stale for more than 3 s.
 */
@Cluster
@Slow
class ReplicaFailoverTest extends FaultHarness {
    @Test
    void aStaleReplicaPromotedAfterItsMasterDied() throws Exception {
        RedisCluster cluster = keep(RedisCluster.start(1));
        ShardProcess shard = keep(ShardProcess.start("rf1", cluster.uri(), Duration.ofSeconds(2)));
        RedisBackend gw = keep(new RedisBackend(Fixtures.OPTIONS, cluster.uri(), "gwRF", new SimpleMeterRegistry()));
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.gauges().get("live_shards") == 1);
        follow(gw);
        // The master serving table fa's partition, and its replica.
        RedisProcess any = cluster.nodes.get(0);
        int slot = Integer.parseInt(RedisCluster.cli(any.port, "cluster", "keyslot", Keys.owner(Keys.partition("fa")))
                .trim());
        List<RedisCluster.Node> topology = RedisCluster.topology(any);
        RedisCluster.Node master = topology.stream()
                .filter(n -> n.master() && n.serves(slot))
                .findFirst()
                .orElseThrow();
        RedisCluster.Node replica = topology.stream()
                .filter(n -> !n.master() && n.masterId().equals(master.id()))
                .findFirst()
                .orElseThrow();
        System.out.println("replica failover: fa's slot " + slot + " on master :" + master.port() + ", replica :"
                + replica.port());
        try {
            failover(cluster, gw, master, replica);
        } catch (AssertionError | RuntimeException e) {
            System.out.println("shard's log:\n" + java.nio.file.Files.readString(shard.log));
            throw e;
        }
        // History is bound to the node that serves it: the promotion started a new generation of
        // the partition (whichever check the shard made first, this one or a change number seen
        // going backwards).
        String gen = RedisCluster.cli(replica.port(), "hget", Keys.gen(Keys.partition("fa")), "n")
                .trim();
        assertThat(gen).as("generation of fa's partition after the promotion").matches("[1-9][0-9]*");
        assertThat(Fixtures.truth(gw, queries.get(0)))
                .as("the acknowledged write the promotion lost")
                .noneMatch(i -> i.id().equals("lost"));
        for (int i = 0; i < clients.size(); i++) {
            if (queries.get(i).shape().table().equals("fa")) {
                assertThat(clients.get(i).resets()).as("client %d on fa", i).contains("epoch");
            }
        }
    }

    /** The fault, while the writer writes: replication cut, writes, master killed, the stale replica promoted. */
    void failover(RedisCluster cluster, RedisBackend gw, RedisCluster.Node master, RedisCluster.Node replica)
            throws Exception {
        scenario("stale replica promoted", 61, gw, gw, () -> {
            RedisProcess r = cluster.node(replica.port());
            r.signal("STOP");
            // Replication cut: the master drops its link to the replica, which, paused, cannot
            // come back for what follows.
            RedisCluster.cli(master.port(), "client", "kill", "type", "replica");
            gw.put("fa", "lost", row("{\"n\":-1}"), null); // acknowledged, never replicated
            hold(3_000);
            cluster.node(master.port()).kill();
            System.out.println(java.time.Instant.now() + " replica failover: master :" + master.port() + " killed");
            // As long as an automatic failover would take (node timeout 2 s, then an election):
            // the partition's slots are unserved meanwhile, and with full coverage required so
            // is the whole cluster.
            hold(4_000);
            r.signal("CONT");
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        if (RedisCluster.cli(replica.port(), "role").startsWith("master")) {
                            return true;
                        }
                        RedisCluster.cli(replica.port(), "cluster", "failover", "takeover");
                        return false;
                    });
            System.out.println(java.time.Instant.now() + " replica failover: :" + replica.port() + " promoted");
        });
    }
}
