/**
 * The shard process: {@link dev.livequery.shard.cluster.Shard} and the parts it coordinates. Every
 * class but {@code Shard} is package-private.
 *
 * <h2>How the parts fit</h2>
 * {@code Shard} owns the threads, the map of loaded partitions and the map of hosted attachments;
 * each part does one job and reaches the others only through what the shard hands it:
 * <ul>
 * <li>{@code LeaseKeeper} (lease thread) takes the partitions rendezvous gives this shard, renews
 *     their fenced leases and gives up the others. Its map of lease values is live: the publisher
 *     fences every entry with it, so a lease lost here stops that partition's frames at once.</li>
 * <li>{@code HistoryGuard} (lease and main threads) keeps engines from splicing against lost
 *     writes: a changed dataset epoch or partition generation, or a stream gone backwards,
 *     unloads the engines of the old history.</li>
 * <li>{@code PartitionLoader} (main thread) builds a partition's engine from its rows as of one
 *     stream position, rolled back and replayed through the retained changes
 *     ({@code Rollback}, a pure function), so tokens of the previous owner still resolve.</li>
 * <li>{@code ChangeTail} (tail thread) feeds loaded engines from their change streams and
 *     reports what it finds wrong: lost writes, a gap, a stream it cannot read, a change the
 *     engine refuses (never stepped over: the partition is reloaded from Redis).</li>
 * <li>{@code ControlHandler} (ctl thread reads, main thread acts) carries out what gateways ask:
 *     subscribe (loading the partition if need be), reanchor, unsubscribe, and keep (close the
 *     gateway's attachments it does not list: leftovers whose unsubscribe was lost).</li>
 * <li>{@code Publisher} (pub thread) is the one writer of delivery streams: frames, acks, "gone"
 *     and ticks, in one order, numbered per gateway, through a fenced script
 *     ({@code DeliveryWriter} makes the calls and settles each batch by their answers).</li>
 * <li>{@code GatewayReaper} (main thread) closes the attachments of gateways whose heartbeat
 *     expired and deletes their delivery streams.</li>
 * <li>{@code ShardMeters} names every meter the shard exports; {@code Shard} hands each part
 *     the counters and timers it counts with.</li>
 * </ul>
 * Only the main thread loads and unloads partitions; the lease, tail and publisher threads report
 * to it (a lease lost, a gap, a refused publish), and a report about a partition that has been
 * unloaded or reloaded meanwhile is ignored (the loaded map no longer holds that
 * {@code LoadedPartition}). Unloading tells each attachment's gateway "gone"; the gateway
 * re-attaches with resume, wherever the partition is owned then.
 *
 * <h2>How staleness is detected and bounded</h2>
 * The promise: a window out of date for more than 3 s has been told {@code status stale} (or a
 * reset). The gateway tells; a shard's part is to make every way it can fail visible to the
 * gateway within about 2 s, and to say nothing it cannot stand behind:
 * <ul>
 * <li><b>Silence.</b> The publisher ticks every gateway it hosts attachments of every 500 ms. A
 *     shard that is paused, stuck, cut off from Redis or whose publisher died stops ticking; the
 *     gateway tells stale 2 s after its last word (four ticks), so with the stale check's 250 ms
 *     and delivery to the client a window is told within 3 s of falling behind.</li>
 * <li><b>Progress.</b> Each tick carries, per partition, the last change-stream id the tail
 *     applied (read before that round's frames are drained). Gateways compare it with the
 *     stream heads they read themselves: a shard that ticks but lags (slow link, stuck tail) is
 *     found out 2 s after a write it has not applied.</li>
 * <li><b>Unreadable partitions are let go.</b> On a Redis Cluster the tail reads each partition
 *     on its own; one whose reads fail for 0.5 s is unloaded, so its gateways re-attach, cannot
 *     succeed, and tell stale by the silence rule.</li>
 * <li><b>Loss is seen.</b> Entries to a gateway carry a per-gateway sequence; a skipped number
 *     (trimmed, deleted, a half-failed publish) makes the gateway re-attach with resume. Ticks
 *     count the attachments hosted, so a "gone" that was lost is noticed too, and carry a digest
 *     of their ids, so a leftover whose unsubscribe was lost is noticed (and closed by a keep)
 *     even when it makes up the count for a drop.</li>
 * <li><b>Nothing under a lost lease.</b> Every publish checks the lease in the same script, and
 *     a refusal unloads the partition; a paused shard that lost its lease publishes nothing.</li>
 * <li><b>No splice against lost writes.</b> {@code HistoryGuard} above: such windows get
 *     {@code reset epoch}.</li>
 * </ul>
 * The module's package-info ({@code dev.livequery.shard}) gives the whole design, gateway side
 * included; {@code FaultSuiteTest} measures the bound under injected faults.
 */
package dev.livequery.shard.cluster;
