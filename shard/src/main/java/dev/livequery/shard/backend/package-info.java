/**
 * The gateway side of the cluster: {@link dev.livequery.shard.backend.RedisBackend}. Writes go
 * straight to Redis; live windows run on shards and come back as frames through the gateway's
 * delivery stream; one-shot queries read the table atomically and evaluate it locally. When Redis
 * is unreachable for 3 s every subscription gets {@code status stale}, and {@code status live}
 * plus a resume-based catch-up when it is back.
 */
package dev.livequery.shard.backend;
