/**
 * Membership (heartbeat keys with TTL plus a member set, no SCAN), rendezvous ownership of
 * partitions, per-partition leases with fence numbers, the gateway/shard stream protocol
 * ({@link dev.livequery.shard.cluster.Wire}) and the {@link dev.livequery.shard.cluster.Shard}.
 * Shards and gateways compute owners with the same function; where their member views briefly
 * differ, the lease decides and control messages are answered {@code not_owner} (the gateway
 * looks again and re-sends), never dropped silently.
 */
package dev.livequery.shard.cluster;
