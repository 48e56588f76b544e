package dev.livequery.sources.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Row;
import dev.livequery.redis.store.RowStore;
import dev.livequery.redis.store.SourceWrites;
import dev.livequery.redis.store.SourceWrites.Fenced;
import dev.livequery.redis.store.SourceWrites.Outcome;
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
import java.util.logging.Logger;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Cluster mode: units go into the Redis row store through {@link SourceWrites}, each table's
 * share of a transaction as one fenced script that also stores the position (commit LSN and the
 * record's Debezium offset) and counts the changes; the shards tail the change streams as for any
 * write. Versions are the tables' Redis change counters (monotonic across failover: they live in
 * Redis), not LSNs.
 *
 * <p>A table's share becomes net row ops (one per row, checked against the row's version as read:
 * a concurrent HTTP write under {@code writable: true} makes the script refuse, and the share is
 * re-read and retried), TOAST columns filled from the row as it was. Tables a batch did not touch
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
    /** Tables with a stored position: only those may be moved forward (the others await a snapshot). */
    private final Set<String> loaded;
    /** The offset each table's stored position has, as far as this process knows. */
    private final Map<String, String> stored;
    /** The highest commit LSN applied to every table (claimed, or applied here). */
    private long applied;
    /** The offset of the last record applied or acknowledged. */
    private String latest;

    RedisApplier(
            SourceWrites writes,
            List<TableMapping> tables,
            long fence,
            long applied,
            Map<String, String> stored,
            BooleanSupplier holding) {
        this.writes = writes;
        this.tables = tables;
        this.fence = fence;
        this.applied = applied;
        this.stored = new HashMap<>(stored);
        this.loaded = new java.util.HashSet<>(stored.keySet());
        this.holding = holding;
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
        String off = offset(last);
        for (Map.Entry<TableMapping, List<ObjectNode>> e : s.rows().entrySet()) {
            String table = e.getKey().table();
            retrying(table, () -> {
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
                return writes.write(table, ops, fence, s.lsn(), off, 0);
            });
            stored.put(table, off);
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
            List<Pending> pending = e.getValue();
            Outcome o = retrying(
                    table, () -> writes.write(table, ops(table, pending), fence, t.commitLsn(), off, pending.size()));
            any |= o == Outcome.APPLIED;
            stored.put(table, off);
        }
        applied = Math.max(applied, t.commitLsn());
        latest = off;
        return any;
    }

    @Override
    public void position(SourceRecord r) {
        latest = offset(r);
    }

    @Override
    public void batchDone() throws Exception {
        if (latest == null) {
            return;
        }
        for (TableMapping t : tables) {
            String table = t.table();
            if (loaded.contains(table) && !latest.equals(stored.get(table))) {
                String off = latest;
                retrying(table, () -> {
                    writes.advance(table, fence, applied, off);
                    return null;
                });
                stored.put(table, off);
            }
        }
    }

    /** The net effect of a table's share of a transaction, one op per row, checked against the rows as read now. */
    private List<RowStore.Op> ops(String table, List<Pending> pending) throws LiveQueryException {
        boolean truncates = pending.stream().anyMatch(Pending::truncate);
        Map<String, Row> current = new HashMap<>();
        if (truncates) {
            for (Row r : writes.rows().table(table).rows()) {
                current.put(r.id(), r);
            }
        } else {
            List<String> ids = pending.stream().map(Pending::id).distinct().toList();
            List<Row> rows = writes.rows().getAll(table, ids);
            for (int i = 0; i < ids.size(); i++) {
                if (rows.get(i) != null) {
                    current.put(ids.get(i), rows.get(i));
                }
            }
        }
        Map<String, ObjectNode> after = new LinkedHashMap<>();
        boolean truncated = false;
        for (Pending p : pending) {
            if (p.truncate()) {
                current.keySet().forEach(id -> after.put(id, null));
                after.replaceAll((id, a) -> null);
                truncated = true;
            } else if (p.after() == null) {
                after.put(p.id(), null);
            } else {
                if (!p.unavailable().isEmpty()) {
                    Row cur = current.get(p.id());
                    ObjectNode before = after.containsKey(p.id())
                            ? after.get(p.id())
                            : truncated || cur == null ? null : cur.data();
                    Pending.fill(p.after(), p.unavailable(), before);
                }
                after.put(p.id(), p.after());
            }
        }
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

    /** One write of a unit. */
    private interface Write<T> {
        T run() throws Fenced, LiveQueryException;
    }

    /**
     * Runs {@code w} until it succeeds: again after a row conflict (re-reading the rows), again
     * after Redis was unreachable while this process still holds the lease.
     */
    private <T> T retrying(String table, Write<T> w) throws Fenced, LiveQueryException, InterruptedException {
        long delay = 100;
        int conflicts = 0;
        while (true) {
            try {
                return w.run();
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
