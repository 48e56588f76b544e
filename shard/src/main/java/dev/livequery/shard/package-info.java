/**
 * The cluster mode of livequery: live queries served by shard processes over one Redis dataset.
 *
 * <h2>Layers (one package each)</h2>
 * <ul>
 * <li>{@code store} — the data in Redis: rows, per-table change counters, per-partition change
 *     streams, the dataset epoch. Knows nothing of shards or subscriptions.</li>
 * <li>{@code cluster} — membership, rendezvous ownership, fenced leases, and the {@code Shard}
 *     that runs subscriptions in per-partition {@link dev.livequery.core.LocalBackend}s.</li>
 * <li>{@code backend} — {@code RedisBackend}, the {@link dev.livequery.core.Backend} a gateway
 *     uses with {@code livequery.backend=redis}.</li>
 * <li>{@link dev.livequery.shard.ShardMain} — the shard process (picocli; env-configurable).</li>
 * </ul>
 *
 * <h2>How a write reaches a subscriber on another gateway</h2>
 * Gateway A runs the write script (If-Match, INCR the table counter = version, HSET, XADD the
 * change with before- and after-image; atomic). The shard that holds the lease of the table's
 * partition tails that stream, {@code ingest}s the change into its engine, which queues splice
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
 * <li><b>Polling tail.</b> The shard reads change streams with non-blocking XREAD and a short
 *     idle pause: a single blocking XREAD cannot span the slots of a Cluster. Control and delivery
 *     streams are single keys and are read with XREAD BLOCK on dedicated connections.</li>
 * <li><b>Patch merges in Java</b> with an internal compare-and-set, because Lua's cjson would
 *     re-encode the row's numbers and nested values.</li>
 * </ul>
 */
package dev.livequery.shard;
