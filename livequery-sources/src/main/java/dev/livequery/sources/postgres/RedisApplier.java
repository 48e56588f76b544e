package dev.livequery.sources.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Row;
import dev.livequery.redis.store.RowStore;
import dev.livequery.redis.store.SourceWrites;
import dev.livequery.redis.store.SourceWrites.Fenced;
import dev.livequery.redis.store.SourceWrites.Position;
import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.Transactions.Pending;
import dev.livequery.sources.postgres.Transactions.Snapshot;
import dev.livequery.sources.postgres.Transactions.Txn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Cluster mode: units go into the Redis row store through {@link SourceWrites}, each table's
 * share of the transactions of one Debezium batch as one fenced script that also stores the
 * position of the last of them (commit LSN and the record's Debezium offset) and counts the
 * changes; the shards tail the change streams as for any write. One script per table per batch,
 * not a read and a write per transaction: the holder is bound by round trips, so this is what lets
 * it keep up with thousands of transactions a second. Whole transactions only: a window may see
 * several appear at once, never part of one. A transaction whose commit LSN is at or below a
 * table's stored position is skipped for that table (a replay after a takeover or a reconnect).
 * A script Redis refuses as at or below the stored position although this holder's positions
 * said otherwise is an error, never skipped: only a retry of a script whose answer was lost may
 * meet its own write. A snapshot is compared with nothing but that: {@link ClusterSource} forgets
 * the stored positions before it takes one (a new slot, maybe another history with lower LSNs).
 * Versions are the tables' Redis change counters (monotonic across failover: they live in Redis),
 * not LSNs.
 *
 * <p>A table's share becomes net row ops (one per row, checked against the row's version as read:
 * a concurrent HTTP write under {@code writable: true} makes the script refuse, and the share is
 * re-read and retried), TOAST columns filled from the row as it was ({@link RowResolver}). Tables a batch did not touch
 * are moved forward ({@link SourceWrites#advance}) in {@link #batchDone}, before Debezium may
 * acknowledge the batch: every stored position is then at or past what Postgres was told, so a
 * successor resuming from the lowest one never asks for WAL the slot no longer keeps.
 *
 * <p>Redis unreachable: the same unit is retried (0.1 s doubling to 2 s) while this process holds
 * the lease; once it does not, the unit fails and the engine stops (the successor replays it).
 */
final class RedisApplier implements Applier {
    private static final Logger LOG = Logger.getLogger(RedisApplier.class.getName());
    private static final int CONFLICT_RETRIES = 20;

    private final SourceWrites writes;
    private final List<TableMapping> tables;
    private final long fence;
    private final BooleanSupplier holding;
    /** Told of a write the fence refused, on the engine's thread, before it is thrown. */
    private final Consumer<Fenced> fenced;
    /** Tables with a stored position: only those may be moved forward (the others await a snapshot). */
    private final Set<String> loaded;
    /**
     * Each table's stored position (commit LSN and offset). Only this process writes them while it
     * holds the lease (the fence), so this is what Redis has: a transaction at or below the LSN is
     * in Redis for that table, one above it is not, and a batch's script never mixes the two.
     */
    private final Map<String, Stored> stored = new HashMap<>();

    private record Stored(long lsn, String offset) {}
    /**
     * The highest commit LSN applied to every table: at a takeover the lowest stored one (the
     * stream resumes there; a table further on skips the replay), then each transaction's.
     */
    private long applied;
    /** The offset of the last record applied or acknowledged. */
    private String latest;
    /**
     * The transactions of the current Debezium batch not written yet, per table in commit order:
     * written at {@link #batchDone} (or once {@link #MAX_PENDING} changes wait), one script per
     * table. Nothing is acknowledged to Postgres before they are written.
     */
    private final Map<String, Group> batch = new LinkedHashMap<>();

    private int pendingChanges;
    /** Bounds one script's size (a single larger transaction is still written whole). */
    static final int MAX_PENDING = 2_000;

    /** A table's share of the batch's waiting transactions; {@code lsn}/{@code off}: the last one's. */
    private static final class Group {
        final List<Pending> pending = new ArrayList<>();
        long lsn;
        String off;
        long changes;
    }

    /**
     * {@code claimed}: each table's stored position as this holder claimed it (none: a first
     * start, a snapshot comes first). The stream resumes from the lowest of them. {@code holding}:
     * whether the lease is still held (asked while Redis is unreachable); {@code fenced}: told at
     * once of a write Redis refused because a newer holder claimed the table, before the
     * {@link Fenced} is thrown (the lease is gone for good: fences only grow).
     */
    RedisApplier(
            SourceWrites writes,
            List<TableMapping> tables,
            long fence,
            Map<String, Position> claimed,
            BooleanSupplier holding,
            Consumer<Fenced> fenced) {
        this.writes = writes;
        this.tables = tables;
        this.fence = fence;
        claimed.forEach((table, p) -> stored.put(table, new Stored(p.lsn(), p.offset())));
        // Not the highest: a table further on than the stream must not be moved past
        // transactions of the other tables it has not brought again yet.
        this.applied = stored.values().stream().mapToLong(Stored::lsn).min().orElse(-1);
        this.loaded = new java.util.HashSet<>(stored.keySet());
        this.holding = holding;
        this.fenced = fenced;
    }

    /** A record's position as stored in Redis: its Debezium source partition and offset. */
    static String offset(SourceRecord r) {
        try {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("p", r.sourcePartition());
            m.put("o", r.sourceOffset());
            return Json.MAPPER.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a Debezium offset is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public void snapshot(Snapshot s, SourceRecord last) throws Exception {
        flush();
        String off = offset(last);
        for (Map.Entry<TableMapping, List<ObjectNode>> e : s.rows().entrySet()) {
            String table = e.getKey().table();
            retrying(table, unsure -> {
                Map<String, Long> versions = new LinkedHashMap<>();
                for (Row r : writes.rows().table(table).rows()) {
                    versions.put(r.id(), r.version());
                }
                List<RowStore.Op> ops = new ArrayList<>(e.getValue().size() + versions.size());
                for (ObjectNode r : e.getValue()) {
                    String id = r.get("id").textValue();
                    Long v = versions.remove(id);
                    ops.add(new RowStore.Op(id, r, v, v == null));
                }
                versions.forEach((id, v) -> ops.add(new RowStore.Op(id, null, v)));
                return expected(writes.write(table, ops, fence, s.lsn(), off, 0), unsure, table, s.lsn(), "snapshot");
            });
            stored.put(table, new Stored(s.lsn(), off));
            loaded.add(table);
        }
        applied = Math.max(applied, s.lsn());
        latest = off;
    }

    @Override
    public boolean transaction(Txn t, SourceRecord end) throws Exception {
        String off = offset(end);
        boolean any = false;
        for (Map.Entry<TableMapping, List<Pending>> e : t.changes().entrySet()) {
            String table = e.getKey().table();
            Stored at = stored.get(table);
            if (at != null && t.commitLsn() <= at.lsn()) {
                continue; // this table's share is in Redis already (a replay)
            }
            Group g = batch.computeIfAbsent(table, k -> new Group());
            g.pending.addAll(e.getValue());
            g.lsn = t.commitLsn();
            g.off = off;
            g.changes += e.getValue().size();
            pendingChanges += e.getValue().size();
            any = true;
        }
        applied = Math.max(applied, t.commitLsn());
        latest = off;
        if (pendingChanges >= MAX_PENDING) {
            flush();
        }
        return any;
    }

    /** Writes the waiting transactions: per table one script, stored with the last one's position. */
    private void flush() throws Exception {
        for (Map.Entry<String, Group> e : batch.entrySet()) {
            String table = e.getKey();
            Group g = e.getValue();
            retrying(
                    table,
                    unsure -> expected(
                            writes.write(table, ops(table, g.pending), fence, g.lsn, g.off, g.changes),
                            unsure,
                            table,
                            g.lsn,
                            "transactions"));
            stored.put(table, new Stored(g.lsn, g.off));
        }
        batch.clear();
        pendingChanges = 0;
    }

    @Override
    public void position(SourceRecord r) {
        latest = offset(r);
    }

    /** A write refused by the fence, or the lease lost while Redis was unreachable: a successor streams. */
    @Override
    public boolean superseded(Exception e) {
        return e instanceof Fenced;
    }

    @Override
    public void batchDone() throws Exception {
        flush();
        if (latest == null) {
            return;
        }
        for (TableMapping t : tables) {
            String table = t.table();
            Stored at = stored.get(table);
            if (loaded.contains(table) && (at == null || !latest.equals(at.offset()))) {
                String off = latest;
                retrying(table, unsure -> {
                    writes.advance(table, fence, applied, off);
                    return null;
                });
                // the script moves the LSN forward only
                stored.put(table, new Stored(at == null ? applied : Math.max(at.lsn(), applied), off));
            }
        }
    }

    /**
     * The net effect of a table's share of one or more transactions (in commit order), one op per
     * row, checked against the rows as read now.
     */
    private List<RowStore.Op> ops(String table, List<Pending> pending) throws LiveQueryException {
        boolean truncates = pending.stream().anyMatch(Pending::truncate);
        Map<String, Row> current = new HashMap<>();
        if (truncates) {
            for (Row r : writes.rows().table(table).rows()) {
                current.put(r.id(), r);
            }
        } else {
            // with the old ids of key changes: their rows fill the new rows' unchanged TOAST columns
            List<String> ids = pending.stream()
                    .flatMap(p -> p.previousId() == null ? Stream.of(p.id()) : Stream.of(p.id(), p.previousId()))
                    .distinct()
                    .toList();
            List<Row> rows = writes.rows().getAll(table, ids);
            for (int i = 0; i < ids.size(); i++) {
                if (rows.get(i) != null) {
                    current.put(ids.get(i), rows.get(i));
                }
            }
        }
        Map<String, ObjectNode> after = new LinkedHashMap<>();
        RowResolver.resolve(
                pending,
                id -> {
                    Row cur = current.get(id);
                    return cur == null ? null : cur.data();
                },
                new RowResolver.Sink() {
                    @Override
                    public void truncate() {
                        // emptied: Redis' rows too, unless the share writes them again
                        current.keySet().forEach(id -> after.putIfAbsent(id, null));
                    }
                },
                after);
        List<RowStore.Op> ops = new ArrayList<>(after.size());
        after.forEach((id, a) -> {
            Row cur = current.get(id);
            Long v = cur == null ? null : cur.version();
            if (a != null) {
                ops.add(new RowStore.Op(id, a, v, v == null));
            } else if (v != null) {
                ops.add(new RowStore.Op(id, null, v));
            }
        });
        return ops;
    }

    /**
     * A write's outcome, checked: DUPLICATE only when a retry follows a script that ran but whose
     * answer was lost ({@code unsure}): the rows are then already stored with this position. Any
     * other DUPLICATE means Redis holds a position this holder did not write or know of, and
     * skipping would leave the table without these rows for good: the source fails instead.
     */
    private static SourceWrites.Outcome expected(
            SourceWrites.Outcome o, boolean unsure, String table, long lsn, String what) {
        if (o == SourceWrites.Outcome.DUPLICATE && !unsure) {
            throw new IllegalStateException("Redis refused the " + what + " of table " + table + " at LSN " + lsn
                    + " as already applied: its stored source position is at or past it, which this holder did"
                    + " not write; the table is not changed, the next holder of the source lease starts again");
        }
        return o;
    }

    /** One write of a unit; {@code unsure}: an earlier attempt may have run (Redis unreachable). */
    private interface Write<T> {
        T run(boolean unsure) throws Fenced, LiveQueryException;
    }

    /**
     * Runs {@code w} until it succeeds: again after a row conflict (re-reading the rows), again
     * after Redis was unreachable while this process still holds the lease.
     */
    private <T> T retrying(String table, Write<T> w) throws Fenced, LiveQueryException, InterruptedException {
        long delay = 100;
        int conflicts = 0;
        boolean unsure = false;
        while (true) {
            try {
                return w.run(unsure);
            } catch (Fenced e) {
                fenced.accept(e);
                throw e;
            } catch (LiveQueryException e) {
                switch (e.code()) {
                    case VERSION_MISMATCH, NOT_FOUND -> {
                        if (++conflicts > CONFLICT_RETRIES) {
                            throw e;
                        }
                    }
                    case UNAVAILABLE -> {
                        if (!holding.getAsBoolean()) {
                            throw new Fenced(
                                    "lost the source lease while Redis was unreachable (" + e.getMessage() + ")");
                        }
                        unsure = true;
                        LOG.warning(() -> "postgres source: cannot write " + table + " to Redis (" + e.getMessage()
                                + "); retrying the same transaction");
                        Thread.sleep(delay);
                        delay = Math.min(delay * 2, 2000);
                    }
                    default -> throw e;
                }
            }
        }
    }
}
