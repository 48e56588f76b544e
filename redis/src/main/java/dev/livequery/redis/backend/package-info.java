/**
 * The gateway side of the cluster: {@link dev.livequery.redis.backend.RedisBackend}. Writes go
 * straight to Redis; live windows run on shards and come back as frames through the gateway's
 * delivery stream; one-shot queries read the table atomically and evaluate it locally. A
 * subscription whose shard has not been heard from for 2 s (shard paused, Redis unreachable, …)
 * gets {@code status stale}, and {@code status live} plus the frames or a resume-based catch-up
 * when it is served again; so does one whose owner is alive but lags behind the partition's
 * change stream (the gateway compares the stream heads it reads itself with the positions the
 * owner reports applied: {@code Progress}); how each fault is detected is in the shard module's
 * package-info.
 * Writes may carry an idempotency key ({@code Backend.idempotent}): the key is claimed for the
 * request's digest, and the write script stores the digest with the result, atomically with the
 * write, for the horizon's time; the same key with another request is {@code 422
 * idempotency_key_reused}.
 *
 * <h2>The parts</h2>
 * {@code RedisBackend} is a thin facade implementing the core {@code Backend} seam over parts
 * with one job each, all package-private:
 * <ul>
 * <li>{@code RedisWrites}: writes and row reads, straight to Redis (the store's write script);
 *     writes that must read first (a write filter, a patch) go through {@code CheckedWrites};
 *     the idempotency claim lives here.</li>
 * <li>{@code OneShotQueries}: a table read atomically into a throwaway engine.</li>
 * <li>{@code Attachments}: the live subscriptions, which shard owns each, and the control
 *     requests (subscribe, reanchor, unsubscribe, keep) with the acks they wait for
 *     ({@code PendingAcks}, which gives up a request no answer will reach).
 *     {@code RemoteSubscription} owns one subscription's attachment state machine; an answer
 *     counts only for the attach it answers, and a refused re-attach waits its
 *     {@code RefusalBackoff}. Under its lock, too: the attachment's {@code Batches} in order, the
 *     client's bounded {@code FrameQueue}, and what the client was told ({@code Staleness}).</li>
 * <li>{@code DeliveryReader}: the thread reading this gateway's delivery stream: frames, acks,
 *     "gone", ticks; gap detection per sender; a tick's count and digest of the attachments it
 *     hosts checked against ours (a keep for leftovers, a re-attach for drops); stale when Redis
 *     does not answer for 2 s.</li>
 * <li>{@code Watcher}: heartbeat ({@code SET … GET}), live members, moves and repairs (a
 *     bounded number per tick); on a thread of its own the heads of the attached partitions'
 *     change streams ({@code StreamHeads}, one round trip), so slow repairs never delay them;
 *     and the stale check on a third, without Redis calls.</li>
 * <li>{@code Progress}: the progress check's bookkeeping, without Redis calls: per partition the
 *     oldest stream head its owner has not yet reported applying (in a tick or an attach's ack);
 *     unresolved for 2 s, the partition's windows are stale until the owner catches up.</li>
 * </ul>
 *
 * <p>Wiring in a gateway: {@code new RedisBackend(options, uri, gatewayId, meterRegistry)}, where {@code uri} is
 * {@code livequery.redis.uri}:
 * {@code redis://host:port} or {@code redis-cluster://h1:p1,h2:p2}. The gateway's
 * {@code EngineOptions.secret} must equal the shards' {@code LIVEQUERY_SECRET}: shards sign the
 * cursors and tokens the gateway's one-shot queries and subscriptions exchange.
 */
package dev.livequery.redis.backend;
