/**
 * Rows, change counters and change streams in Redis, written only through Lua scripts so every
 * write is atomic and every change is in its partition's stream exactly once, in version order.
 * Scripts run by EVALSHA with an EVAL fallback on NOSCRIPT (a restarted Redis has an empty script
 * cache). Key layout: see {@link dev.livequery.redis.store.Keys}. Single streams (a shard's
 * control stream, a gateway's delivery stream) are read by one
 * {@link dev.livequery.redis.store.StreamReader} each, the same loop in shard and gateway.
 *
 * <p>{@link dev.livequery.redis.store.RowStore} is the store's public face; behind it, one job
 * each: {@code WriteScript} (the write script: preconditions, versions, change stream, trim to
 * the horizon and byte bounds, idempotent results), {@code IdempotencyKeys} (a key's claim across
 * tables and the read of a remembered result, both with the remember TTL) and
 * {@code Generations} (the dataset epoch and per-partition history generations).
 *
 * <p>A change data capture source writes through {@link dev.livequery.redis.store.SourceWrites}:
 * the same write script with a prelude (fence and duplicate check) and a hook that stores the
 * source's position in the same script, once every row precondition passed.
 */
package dev.livequery.redis.store;
