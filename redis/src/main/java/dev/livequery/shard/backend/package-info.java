/**
 * The gateway side of the cluster: {@link dev.livequery.shard.backend.RedisBackend}. Writes go
 * straight to Redis; live windows run on shards and come back as frames through the gateway's
 * delivery stream; one-shot queries read the table atomically and evaluate it locally. When Redis
 * is unreachable for 3 s every subscription gets {@code status stale}, and {@code status live}
 * plus a resume-based catch-up when it is back.
 *
 * <p>Wiring in a gateway: {@code new RedisBackend(options, uri, gatewayId, meterRegistry)}, where {@code uri} is {@code livequery.redis.uri}:
 * {@code redis://host:port} or {@code redis-cluster://h1:p1,h2:p2}. The gateway's
 * {@code EngineOptions.secret} must equal the shards' {@code LIVEQUERY_SECRET}: shards sign the
 * cursors and tokens the gateway's one-shot queries and subscriptions exchange.
 */
package dev.livequery.shard.backend;
