package dev.livequery.redis.store;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Every Redis key the cluster uses, in one place. Keys of one partition share the hash tag
 * {@code {pN}}, so a partition's scripts touch a single Cluster slot.
 */
public final class Keys {
    /** Partitions: tables hash onto these; the unit of ownership, lease and change stream. */
    public static final int PARTITIONS = 256;
    /** The dataset's history epoch: random, set NX on first use; a Redis that lost its data gets a new one. */
    public static final String EPOCH = "lq:epoch";
    /** Shard ids that have registered; pruned of members whose heartbeat key expired. */
    public static final String SHARDS = "lq:shards";
    /** Gateway ids that have registered; a shard deletes the delivery stream of one whose heartbeat expired. */
    public static final String GATEWAYS = "lq:gateways";

    private Keys() {}

    /** All rows of a table live in one partition: tables are the engine's unit of ordering. */
    public static int partition(String table) {
        CRC32 c = new CRC32();
        c.update(table.getBytes(StandardCharsets.UTF_8));
        return (int) (c.getValue() % PARTITIONS);
    }

    public static String tag(int p) {
        return "{p" + p + "}";
    }

    /** Hash: row id → {@code <version>|<row json>}. */
    public static String rows(int p, String table) {
        return "lq:" + tag(p) + ":rows:" + table;
    }

    /** The table's change counter: every write INCRs it and uses the result as the row version. */
    public static String seq(int p, String table) {
        return "lq:" + tag(p) + ":seq:" + table;
    }

    /** The result of a write made under an idempotency key, kept for the resume horizon. */
    public static String idempotency(int p, String table, String key) {
        return "lq:" + tag(p) + ":idem:" + table + ":" + key;
    }

    /**
     * Which request (its digest) an idempotency key was first used for, whatever the table: the
     * per-table result key cannot tell that a key came back for another table. Outside any
     * partition's slot, so it is claimed before the write script runs, not inside it. {@code key}
     * is the client's key scoped by its principal ({@code Idempotency.scoped}), as in
     * {@link #idempotency}: principals never share one.
     */
    public static String idempotencyClaim(String key) {
        return "lq:idem:" + key;
    }

    /** Set of the tables that live in the partition (so a cold start needs no SCAN). */
    public static String tables(int p) {
        return "lq:" + tag(p) + ":tables";
    }

    /** The partition's change stream (fields t, id, v, bv, b, a, r = changes of the same write after this one). */
    public static String changes(int p) {
        return "lq:" + tag(p) + ":changes";
    }

    /** The bytes of row images the partition's change stream holds, kept by the write script. */
    public static String changeBytes(int p) {
        return "lq:" + tag(p) + ":changes:bytes";
    }

    /** Lease: {@code <shardId>:<fence>}, with a PX TTL. */
    public static String owner(int p) {
        return "lq:" + tag(p) + ":owner";
    }

    /** Fence counter, INCRed on every new lease. */
    public static String fence(int p) {
        return "lq:" + tag(p) + ":fence";
    }

    /**
     * The partition's history generation (hash: {@code id} = run_id:master_replid of the Redis
     * node last seen serving it, {@code n} = generation number, bumped when that node changed in a
     * way that may have lost acknowledged writes). Part of the engines' epoch.
     */
    public static String gen(int p) {
        return "lq:" + tag(p) + ":gen";
    }

    /**
     * Where a change data capture source stands in one fed table (hash: {@code lsn} = commit LSN
     * of the last transaction applied to it, {@code offset} = the source's resume point,
     * {@code fence} = highest source lease fence seen, {@code changes} = row changes applied). In
     * the table's partition, so the write script that stores a transaction's rows stores it too.
     */
    public static String sourcePosition(String slot, String table) {
        return "lq:" + tag(partition(table)) + ":source:" + slot + ":" + table;
    }

    /** A source's lease: {@code <holder>:<fence>}, with a PX TTL; one hash tag with its fence counter. */
    public static String sourceOwner(String slot) {
        return "lq:{source:" + slot + "}:owner";
    }

    /** The source's fence counter, INCRed on every new lease. */
    public static String sourceFence(String slot) {
        return "lq:{source:" + slot + "}:fence";
    }

    /** A shard's heartbeat. */
    public static String shard(String id) {
        return "lq:shard:" + id;
    }

    /** A shard's control stream (subscribe / reanchor / unsubscribe from gateways). */
    public static String control(String shardId) {
        return "lq:ctl:" + shardId;
    }

    /** A gateway's delivery stream (frames and acks from shards). */
    public static String delivery(String gatewayId) {
        return "lq:gw:" + gatewayId;
    }

    /** A gateway's heartbeat, so shards can drop the subscriptions of a gateway that died. */
    public static String gatewayAlive(String gatewayId) {
        return "lq:gwalive:" + gatewayId;
    }
}
