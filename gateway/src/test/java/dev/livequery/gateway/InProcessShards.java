package dev.livequery.gateway;

import static org.awaitility.Awaitility.await;

import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.redis.backend.RedisBackend;
import dev.livequery.shard.cluster.Shard;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Shards in this JVM over one Redis, for cluster tests where nothing is killed (the kill tests use
 * separate JVMs): cheap on a 2-core machine, and every server is still real.
 */
final class InProcessShards implements AutoCloseable {
    /**
     * A gateway's settings over these shards: the redis backend, with a small queue (and so a
     * 62-row window) that overflows under load, which the tests want to see.
     */
    static final String[] GATEWAY_SETTINGS = {
        "livequery.backend", "redis", "livequery.limits.max-queued", "64", "livequery.limits.max-window", "62"
    };

    private final List<Shard> shards = new ArrayList<>();

    /** Starts {@code n} shards named {@code <prefix>-s1…}. */
    InProcessShards(String uri, String prefix, int n, EngineOptions options) {
        for (int i = 1; i <= n; i++) {
            Shard s = new Shard(
                    new Shard.Config(prefix + "-s" + i, uri, options, 2000, 10_000), new SimpleMeterRegistry());
            shards.add(s);
            s.start();
        }
    }

    /** How a gateway named {@code id} makes its backend over these shards. */
    static Function<Settings, Backend> backend(String uri, String id) {
        return s -> new RedisBackend(s.engineOptions(), uri, id, new SimpleMeterRegistry());
    }

    /** Waits until the shards own every partition and each backend sees all of them live. */
    void awaitServing(List<Backend> backends) {
        await(shards.size() + " shards own all partitions, every gateway sees them")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> shards.stream().mapToInt(s -> s.owned().size()).sum() == 256
                        && backends.stream()
                                .allMatch(b -> b.ready() && b.gauges().get("live_shards") == shards.size()));
    }

    @Override
    public void close() {
        shards.forEach(Shard::close);
    }
}
