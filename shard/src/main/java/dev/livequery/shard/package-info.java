/**
 * The cluster mode of livequery: live queries served by shard processes over one Redis dataset.
 *
 * <h2>Modules and layers</h2>
 * {@code livequery-redis} is what a gateway needs; {@code livequery-shard} is the shard process
 * and depends on it. A gateway never depends on the shard server. No package spans both modules:
 * the redis module's are {@code dev.livequery.redis.*}, the shard module's
 * {@code dev.livequery.shard.*}.
 * <ul>
 * <li>{@code dev.livequery.redis.store} — the data in Redis: rows, per-table change counters, per-partition
 *     change streams, the dataset epoch and the partitions' history generations. Knows nothing
 *     of shards or subscriptions.</li>
 * <li>{@code dev.livequery.redis.cluster} — membership, rendezvous ownership, fenced leases, and the typed
 *     wire: {@code Control} (gateway → shard), {@code Delivery} in a {@code DeliveryEntry}
 *     (shard → gateway), one encoder and one parser each.</li>
 * <li>{@code dev.livequery.redis.backend} — {@code RedisBackend}, the {@link dev.livequery.core.Backend} a
 *     gateway uses with {@code livequery.backend=redis}, and {@code RemoteSubscription}, whose
 *     attachment state machine it drives.</li>
 * <li>{@code dev.livequery.shard.cluster} — the {@code Shard}, a coordinator that owns the threads, the
 *     loaded partitions and the hosted attachments, over parts with one job each:
 *     {@code LeaseKeeper} (takes, renews and releases the fenced leases; the live map of lease
 *     values the publisher fences with), {@code HistoryGuard} (epochs and generations),
 *     {@code PartitionLoader} (an engine with the previous owner's history, by
 *     {@code Rollback}, a pure function), {@code ChangeTail} (feeds loaded engines),
 *     {@code ControlHandler} (reads the control stream, carries out subscribe, reanchor and
 *     unsubscribe, holds subscribes waiting for a lease), {@code Publisher} (the one writer of
 *     delivery streams, owning its script) and {@code GatewayReaper} (what dead gateways leave).
 *     Its package-info says how they fit.</li>
 * <li>{@link dev.livequery.shard.ShardMain} — the shard process (picocli; env-configurable).</li>
 * </ul>
 *
 * <h2>How a write reaches a subscriber on another gateway</h2>
 * Gateway A runs the write script (If-Match, INCR the table counter = version, HSET, XADD the
 * change with before- and after-image; atomic). The shard that holds the lease of the table's
 * partition tails that stream, {@code ingest}s the change into its engine (the changes of one
 * write of several, a batch or a Postgres source transaction's share of a table, all at once
 * with {@code ingestAtomically}: each entry says how many of its write follow it), which queues splice
 * frames for the subscriptions gateway B attached to it; the shard XADDs them (one batch per
 * drain, numbered per attachment) to B's delivery stream through a fenced script, and B hands
 * them, decoded, to the transport.
 *
 * <h2>Choices and why</h2>
 * <ul>
 * <li><b>Partition = hash(table).</b> The engine orders changes per table and names states by a
 *     table's change number, so a table must have one sequencer (its Redis counter) and one
 *     stream. Keys carry the hash tag {@code {pN}}, so every script touches one Cluster slot.</li>
 * <li><b>Before-images in the stream.</b> A new owner loads the rows and counters atomically with
 *     the stream position, then rolls the rows back through the retained entries' before-images
 *     and replays them. Its engine so has the same history as the previous owner's, and resume
 *     tokens issued before a failover still resolve: after a SIGKILL, subscribers typically get a
 *     splice and {@code ready resumed:true}, not a reset. Only when the needed changes were
 *     trimmed does the client get a reset, whose cause the gateway reports as {@code failover}.</li>
 * <li><b>Lazy partitions.</b> A shard holds leases for its share of all 256 partitions but loads
 *     (and tails) a partition only when a subscription arrives for it: cost follows use.</li>
 * <li><b>Two fences.</b> Frames go out through a script that checks the lease value (shard id and
 *     fence number) in the same call, so a paused owner that lost its lease publishes nothing.
 *     On Redis Cluster the lease and the delivery stream live in different slots, so there the
 *     check and the XADD are two calls; the guarantee then rests on the second fence: every
 *     (re)attach has a fresh attachment id, and a gateway drops frames of any attachment but the
 *     current one, and re-attaches (with resume) when a batch number is missing.</li>
 * <li><b>Attachments, not sessions.</b> A gateway keeps, per subscription, only its query and the
 *     eid of the last frame it queued. Moving a subscription (owner change, shard told it "gone",
 *     a lost batch, Redis back after an outage) is a subscribe with that eid as resume token, so
 *     the engine's own resume does the catch-up.</li>
 * <li><b>One stream reader.</b> Control (shard) and delivery (gateway) streams are single keys,
 *     each read by one {@code StreamReader} (redis module): XREAD BLOCK on a dedicated connection,
 *     in order, a failed read retried from the same position, the reader trimming what it read.
 *     The change tail is the exception: one XREAD BLOCK over the changing set of loaded partitions
 *     (cut short by CLIENT UNBLOCK when one is added) on a standalone Redis, and non-blocking
 *     polls per partition on a Cluster, where one read cannot span slots.</li>
 * <li><b>Sticky ownership.</b> Rendezvous hashing over the live members names each partition's
 *     owner, and the owner must hold its lease. Heartbeat and leases share one TTL and are renewed
 *     together every sixth of it, so a pause shorter than about five sixths of the TTL (a 2 s GC
 *     at the default 3 s) leaves both in place: no other shard sees the member leave, no lease
 *     expires, nothing moves and so nothing moves back ({@code StickyOwnershipTest}). A longer
 *     pause is a failover: the lease expires, the next owner takes it with a new fence, the
 *     paused shard finds its lease lost when it wakes and, rendezvous owner again once its
 *     heartbeat is back, gets the partition back when the other releases it (one move each way,
 *     both after a pause longer than the TTL).</li>
 * <li><b>Patch merges in Java</b> with an internal compare-and-set, because Lua's cjson would
 *     re-encode the row's numbers and nested values.</li>
 * </ul>
 *
 * <h2>How staleness is detected and bounded</h2>
 * The promise (PROTOCOL §3): a window that may be out of date for more than 3 s has been told
 * {@code status stale}, and later gets {@code live} plus the frames, or a reset. Nothing here
 * relies on one message arriving; every check is level-triggered, so a lost message delays a
 * repair by a tick, never forever.
 * <ul>
 * <li><b>Silence is staleness.</b> Each shard incarnation ("sender": shard id plus a random
 *     suffix) ticks every gateway it hosts attachments of twice a second, from its publisher
 *     thread. A gateway tells a subscription {@code stale} 2 s after its last good news (an ack,
 *     a batch applied, a tick from its sender), whatever the cause: the shard paused or stuck,
 *     its publisher dead (it also has a catch-all), Redis or the link down, no live shard at
 *     all, a repair that keeps failing. Re-attaching does not reset that clock. 2 s, not 3,
 *     because a window can fall behind just after the last good news and telling it takes up to
 *     the stale check's 250 ms tick plus the link's latency; {@code FaultSuiteTest} checks that
 *     no window is out of date for 3 s without being told.</li>
 * <li><b>An unreadable partition is let go.</b> A shard that is alive keeps ticking, so silence
 *     cannot reveal a Redis Cluster node that is down under one of its partitions. On a Cluster
 *     the tail reads every partition's stream on its own (pipelined, each read failing alone, so
 *     one dead node does not stall the others); a partition whose reads have failed for 0.5 s
 *     is unloaded, its subscribers re-attach, and while that cannot succeed the silence rule
 *     above tells them stale. {@code ReplicaFailoverTest} measures it.</li>
 * <li><b>Progress is checked end to end.</b> Ticks alone prove the shard is alive, not that it
 *     keeps up: a shard whose Redis link is slow (reads timing out) or whose tail is stuck ticks
 *     on while its windows fall behind. So a tick carries, per partition hosting the gateway's
 *     attachments, the last change-stream id the shard has applied (read before that round's
 *     frames are drained, so the frames of those changes precede the tick), and an attach's ack
 *     carries its partition's. Every 250 ms the gateway reads, on a thread of its own (never
 *     queued behind the watcher's repairs), over its own link and in one round
 *     trip (one script; on a Cluster one call per partition, pipelined, each failing alone), the
 *     head of the change stream of each partition it has attachments on, and remembers the
 *     oldest head its owner has not reported applying (one per partition, dropped when the owner
 *     changes or the partition has no attachments left). One that stays unresolved for 2 s tells
 *     the partition's windows {@code stale}; {@code live} waits until the owner reports
 *     applying it (its frames came first). Under steady writes the head always runs ahead of the
 *     last tick, but a healthy owner resolves the oldest observation with its next tick, about
 *     half a second later, so normal operation never reads as stale. Windows of a slow shard are so
 *     told within about 2.5 s of a write they miss ({@code Progress} in the backend package;
 *     {@code FaultSuiteTest#aShardsRedisLinkDelayedThenCut}). Ticks without positions (an older
 *     shard) are not checked.</li>
 * <li><b>Loss is seen.</b> Every entry a sender gives a gateway carries the next number of that
 *     pair's sequence, all of them written by the one publisher in order. A skipped number
 *     (trimmed or deleted entries, a publish that failed half way, a fence refusal) re-attaches
 *     that sender's subscriptions with resume and fails its pending requests so callers retry
 *     at once. Batches also keep their per-attachment numbers, so a duplicate is dropped, and
 *     count only from the sender that acked the attachment (two processes under one shard id
 *     must never splice one window from two starting points).</li>
 * <li><b>Drops are counted.</b> A tick says how many of the gateway's attachments the sender
 *     hosts; fewer than the gateway holds, twice running, re-attaches them (an unsubscribe or
 *     "gone" the gateway never heard of). Frames for an attachment the gateway no longer has
 *     get an unsubscribe back (a lost one, or a shard that outlived a gateway restart). The
 *     attachments of an earlier process of a gateway with a stable id (a restart within its
 *     heartbeat TTL) are closed by the shard, which reads the incarnation in the heartbeat, so
 *     quiet ones cannot make up the count and hide a drop ({@code LeftoverAttachmentTest}).</li>
 * <li><b>Leftovers are found by their ids.</b> A quiet attachment whose unsubscribe was lost
 *     (sent while the gateway's link was down, or trimmed) sends no frames, so the stray rule
 *     above never sees it: it would use the shard for as long as the gateway lives, and make up
 *     the count for an attachment dropped without a word (equal counts, other sets; the window
 *     then misses writes, and while the partition has another attachment its position is still
 *     reported, so no check would tell). So a tick also carries a digest of the ids it counts
 *     (the XOR of a 64-bit hash of each); the gateway computes the same over what it holds
 *     attached to that sender, and when they differ twice running it sends a keep ("of my
 *     attachments, keep only these", at most one per sender per 5 s): the shard closes the
 *     others and drops waiting subscribes the same way. If the counts were equal, the gateway
 *     also re-attaches what it held there with resume, so the hidden drop is repaired within
 *     about two seconds, with no write needed to reveal it ({@code LostUnsubscribeTest}).
 *     Ticks without a digest (an older shard) are not checked, and a gateway with more than
 *     20,000 attachments on one shard sends no keep; for those, the progress check still tells
 *     such a window stale after the next write it misses on an otherwise unreported
 *     partition.</li>
 * <li><b>A gateway knows when it was presumed dead.</b> Its heartbeat is {@code SET … GET}:
 *     an expired heartbeat (a long pause, a partition from Redis) means shards closed its
 *     subscriptions and deleted its stream, so it re-attaches everything. Shards delete a dead
 *     gateway's stream and registration within its heartbeat TTL plus a few seconds.</li>
 * <li><b>History never splices against lost writes.</b> Writes are acknowledged by the Redis
 *     primary before replication (no {@code WAIT}). Each partition records the node serving it
 *     ({@code run_id:master_replid}); a restart that may have lost writes (anything but AOF with
 *     {@code appendfsync always}) or a promotion bumps the partition's generation, which is part
 *     of its engines' epoch, so old tokens get {@code reset epoch}. Loaded engines are reloaded
 *     at the next lease tick; a change number going backwards starts a new dataset epoch.</li>
 * <li><b>Repairs do not stampede.</b> The watcher re-attaches at most 200 subscriptions per
 *     250 ms tick, in random order; the rest are due the next tick.</li>
 * </ul>
 * Memory stays bounded the same way: readers trim what they have read (gateways keep a 30 s
 * tail for operators), change streams keep the resume horizon by count and time under a hard
 * cap, idempotency keys expire with the horizon, and a shard refuses to run on an evicting Redis.
 * A shard keeps a delivery sequence per gateway only while the gateway is plausibly alive (it is
 * dropped when a publish finds the gateway's heartbeat gone, or after minutes with nothing sent);
 * a later sequence for the same id starts past a gap, so the gateway repairs instead of dropping
 * its entries as duplicates ({@code DeliveryWriter}, {@code PresumedDeadGatewayTest}).
 */
package dev.livequery.shard;
