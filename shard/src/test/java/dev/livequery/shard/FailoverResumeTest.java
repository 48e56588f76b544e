package dev.livequery.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.RedisProcess;
import dev.livequery.testkit.process.ShardProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL §3: an eid is valid on any gateway. Clients follow windows on gateway A while the
 * owner of one of their partitions is SIGKILLed under a paced writer; one by one, during the
 * failover and after it, each leaves A and resumes on gateway B with the eid of the last frame it
 * applied (from the dead owner, or from the new one through A). Every window ends equal to the
 * truth with no frame that does not fit, none is silently out of date for more than 3 s, and no
 * window is reset other than for a failover (the new owner keeps the history, so resumes splice).
 */
@Cluster
@Slow
class FailoverResumeTest extends FaultHarness {
    @Test
    void clientsResumeOnAnotherGatewayDuringAFailover() throws Exception {
        RedisProcess redis = keep(RedisProcess.start(false));
        ShardProcess a = keep(ShardProcess.start("xr1", redis.uri(), Duration.ofSeconds(2)));
        ShardProcess b = keep(ShardProcess.start("xr2", redis.uri(), Duration.ofSeconds(2)));
        RedisBackend gwA = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwXA", new SimpleMeterRegistry()));
        RedisBackend gwB = keep(new RedisBackend(Fixtures.OPTIONS, redis.uri(), "gwXB", new SimpleMeterRegistry()));
        Redis direct = keep(Redis.connect(redis.uri(), Duration.ofSeconds(2)));
        int p = Keys.partition("fa");
        ShardProcess victim = Membership.owner(p, List.of(a.id, b.id)).equals(a.id) ? a : b;
        ShardProcess other = victim == a ? b : a;
        await().atMost(Duration.ofSeconds(20))
                .until(() -> gwA.gauges().get("live_shards") == 2
                        && gwB.gauges().get("live_shards") == 2
                        && String.valueOf(direct.cmd().get(Keys.owner(p))).startsWith(victim.id + "/"));
        follow(gwA);
        scenario("resume on another gateway during a failover", 91, gwA, gwA, () -> {
            victim.sigkill();
            for (int i = 0; i < clients.size(); i++) {
                hold(700); // the first ones move while the partition is unowned, the last ones after
                Client from = clients.get(i).poll();
                Query q = queries.get(i);
                away.add(i);
                from.sub.close(); // the client leaves A: what it holds is what it applied
                AtomicReference<Subscription> sub = new AtomicReference<>();
                await().atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(100))
                        .ignoreExceptions()
                        .until(() -> {
                            sub.set(gwB.subscribe(q, from.lastEid(), () -> {}));
                            return true;
                        });
                synchronized (from) {
                    clients.set(i, Client.resuming(sub.get(), from));
                }
                away.remove(i);
            }
            await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> String.valueOf(direct.cmd().get(Keys.owner(p))).startsWith(other.id + "/"));
        });
        for (int i = 0; i < clients.size(); i++) {
            Client c = clients.get(i);
            assertThat(c.violations()).as("client %d", i).isEmpty();
            assertThat(c.resets()).as("client %d", i).first().isEqualTo("subscribe");
            assertThat(c.resets().subList(1, c.resets().size()))
                    .as("client %d: resets after its first snapshot", i)
                    .isSubsetOf("failover");
        }
        System.out.println("resume on B during a failover: resets "
                + clients.stream().map(Client::resets).toList() + ", resumed readies "
                + clients.stream().map(Client::resumedReadies).toList());
    }
}
