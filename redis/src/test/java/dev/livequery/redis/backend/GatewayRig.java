package dev.livequery.redis.backend;

import dev.livequery.core.EngineOptions;
import dev.livequery.redis.cluster.Membership;
import dev.livequery.redis.store.Redis;
import dev.livequery.testkit.process.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * A gateway's cluster side, piece by piece, over a Redis of its own: the attachments, and the
 * delivery reader and watcher a test asks for (none started), with the shards it names alive. The
 * setup the attach-race tests share; each drives the pieces itself.
 */
final class GatewayRig implements AutoCloseable {
    final String gw;
    final String incarnation;
    final RedisProcess server;
    final Redis redis;
    final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    final Progress progress = new Progress();
    final Membership members;
    final Attachments subs;

    /** Gateway {@code gw} (incarnation {@code incarnation}) with {@code shards} alive for a minute. */
    GatewayRig(String gw, String incarnation, String... shards) throws Exception {
        this.gw = gw;
        this.incarnation = incarnation;
        server = RedisProcess.start(false);
        redis = Redis.connect(server.uri(), Duration.ofSeconds(2));
        subs = new Attachments(EngineOptions.defaults(), gw, incarnation, redis, metrics.timer("rtt"), progress);
        members = new Membership(redis);
        for (String s : shards) {
            members.heartbeat(s, 60_000);
        }
        subs.refreshLive();
    }

    /** The delivery reader of these attachments; it reads while {@code running} and once started. */
    DeliveryReader reader(AtomicBoolean running) {
        return new DeliveryReader(subs, redis, gw, running, metrics.counter("gaps"), progress);
    }

    /** The watcher of these attachments, on {@code clock}. */
    Watcher watcher(DeliveryReader reader, LongSupplier clock) {
        return new Watcher(subs, reader, redis, gw, incarnation, metrics.counter("re"), progress, clock);
    }

    @Override
    public void close() {
        redis.close();
        server.close();
    }
}
