package dev.livequery.shard.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;

/**
 * The meters one shard registers: every name, description and tag it exports is here, each
 * tagged with the shard's id. {@link Shard} makes it once and hands each counter or timer to the
 * part that counts with it; the gauges read the shard's live maps at each scrape, so nothing
 * updates them. Counters and timers are thread-safe: each is used from whichever thread its part
 * runs on.
 */
final class ShardMeters {
    /** Partitions lost: {@link LeaseKeeper} (a lease lost, or refused by the publish fence). */
    final Counter failovers;
    /** Leases taken: {@link LeaseKeeper}. */
    final Counter acquired;
    /** Batches the fence refused: {@link Shard}, told by the {@link Publisher}. */
    final Counter fencedRefused;
    /** Write (stream id time) to ingest: {@link ChangeTail}. */
    final Timer streamLag;
    /** Oldest frame of a batch to its XADD acknowledged: {@link DeliveryWriter}. */
    final Timer publishLag;
    /** Publisher rounds that threw: {@link Publisher}. */
    final Counter publishFailures;
    /** Subscribes refused because their partition did not load: {@link ControlHandler}. */
    final Counter loadFailures;

    private final String shard;
    private final MeterRegistry registry;

    /**
     * Registers every meter but the gauges of {@link #owned} (its map is the lease keeper's) and
     * {@link #deliveryGateways} (the publisher is made after the meters).
     */
    ShardMeters(String shard, MeterRegistry registry, Map<Integer, ?> loaded, Map<String, ?> hosted) {
        this.shard = shard;
        this.registry = registry;
        Gauge.builder("livequery_shard_partitions_loaded", loaded, Map::size)
                .tag("shard", shard)
                .register(registry);
        Gauge.builder("livequery_shard_subscriptions", hosted, Map::size)
                .tag("shard", shard)
                .register(registry);
        failovers = Counter.builder("livequery_shard_failovers")
                .description("partitions lost (lease or epoch)")
                .tag("shard", shard)
                .register(registry);
        acquired = Counter.builder("livequery_shard_leases_acquired")
                .tag("shard", shard)
                .register(registry);
        fencedRefused = Counter.builder("livequery_shard_fenced_publish_refused")
                .description("frame batches refused because this shard no longer held the lease")
                .tag("shard", shard)
                .register(registry);
        streamLag = Timer.builder("livequery_shard_stream_lag")
                .description("write (stream id time) to ingest")
                .tag("shard", shard)
                .register(registry);
        publishLag = Timer.builder("livequery_shard_publish_lag")
                .description("engine made a batch's oldest frame to its delivery XADD acknowledged")
                .tag("shard", shard)
                .register(registry);
        publishFailures = Counter.builder("livequery_shard_publisher_failures")
                .description("publisher rounds that threw (logged; the publisher goes on)")
                .tag("shard", shard)
                .register(registry);
        loadFailures = Counter.builder("livequery_shard_partition_load_failures")
                .description("subscribes refused because their partition did not load (logged)")
                .tag("shard", shard)
                .register(registry);
    }

    /**
     * The gauge of the gateways the publisher keeps a delivery sequence for: a bound to watch (they
     * go when their gateway is gone or got nothing for minutes, {@link DeliveryWriter}).
     */
    void deliveryGateways(Publisher publisher) {
        Gauge.builder("livequery_shard_delivery_gateways", publisher, Publisher::gateways)
                .description("gateways this shard keeps a delivery sequence for")
                .tag("shard", shard)
                .register(registry);
    }

    /** The gauge of the partitions whose lease the shard holds: {@code leases} is read live. */
    void owned(Map<Integer, String> leases) {
        Gauge.builder("livequery_shard_partitions_owned", leases, Map::size)
                .tag("shard", shard)
                .register(registry);
    }
}
