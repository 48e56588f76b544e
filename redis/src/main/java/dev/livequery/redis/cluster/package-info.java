/**
 * What gateways and shards share about the cluster: membership (heartbeat keys with TTL plus a
 * member set, no SCAN), rendezvous ownership of partitions and their fenced leases
 * ({@link dev.livequery.redis.cluster.Membership}),
 * and the typed gateway/shard stream protocol ({@link dev.livequery.redis.cluster.Wire}):
 * {@link dev.livequery.redis.cluster.Control} (gateway → shard) and
 * {@link dev.livequery.redis.cluster.Delivery} in a {@link dev.livequery.redis.cluster.DeliveryEntry}
 * (shard → gateway), one encoder and one parser each.
 * Shards and gateways compute owners with the same function; where their member views briefly
 * differ, the partition's fenced lease decides and control messages are answered
 * {@code not_owner} (the gateway looks again and re-sends), never dropped silently.
 *
 * <p>{@link dev.livequery.redis.cluster.SourceLease} is the same fenced lease for a change data
 * capture source: one process streams a replication slot at a time.
 *
 * <p>The shard process ({@code dev.livequery.shard.cluster}: {@code Shard}, its lease keeper,
 * control handler, publisher…) lives in the {@code livequery-shard} module and uses this package;
 * a gateway never depends on it.
 */
package dev.livequery.redis.cluster;
