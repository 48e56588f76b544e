package dev.livequery.sources.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Engine.Change;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LocalBackend;
import dev.livequery.core.Row;
import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.Transactions.Pending;
import dev.livequery.sources.postgres.Transactions.Snapshot;
import dev.livequery.sources.postgres.Transactions.Txn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Embedded mode: units go into the gateway's {@link LocalBackend}, each table's share of a
 * transaction with {@code ingestAtomically} (one table-lock hold, frames held back until the last
 * change), versions {@code commitLsn << 16 | i}. The position is this object's memory: a
 * transaction at or below the last applied commit LSN is a replay (Debezium restarted its task)
 * and is skipped.
 */
final class LocalApplier implements Applier {
    /** Versions are {@code commitLsn << 16 | i}: room for 65,536 changes per table per transaction. */
    static final int VERSION_SHIFT = 16;

    private final LocalBackend backend;
    private long applied = -1;

    LocalApplier(LocalBackend backend) {
        this.backend = backend;
    }

    @Override
    public void snapshot(Snapshot s, SourceRecord last) throws LiveQueryException {
        long version = s.lsn() << VERSION_SHIFT;
        for (Map.Entry<TableMapping, List<ObjectNode>> e : s.rows().entrySet()) {
            List<Row> table = new ArrayList<>(e.getValue().size());
            for (ObjectNode r : e.getValue()) {
                table.add(new Row(r.get("id").textValue(), version, r));
            }
            // Windows open from before this snapshot start over: their history is gone (PROTOCOL §3 'epoch').
            backend.restore(
                    e.getKey().table(),
                    table,
                    Math.max(version, backend.lastChange(e.getKey().table())),
                    "epoch");
        }
        applied = s.lsn();
    }

    @Override
    public boolean transaction(Txn t, SourceRecord end) throws LiveQueryException {
        if (t.commitLsn() <= applied) {
            return false;
        }
        for (Map.Entry<TableMapping, List<Pending>> e : t.changes().entrySet()) {
            String table = e.getKey().table();
            backend.ingestAtomically(table, t.commitLsn() << VERSION_SHIFT, resolve(table, e.getValue()));
        }
        applied = t.commitLsn();
        return true;
    }

    /**
     * Fills columns Debezium could not send (unchanged TOAST) from the row as it was before; for
     * the new row of a key change, from the old key's row as it was before its delete.
     */
    private List<Change> resolve(String table, List<Pending> pending) {
        List<Change> out = new ArrayList<>(pending.size());
        Map<String, ObjectNode> latest = new HashMap<>();
        // Rows deleted in this share as they were just before (known here, not in the backend).
        Map<String, ObjectNode> removed = new HashMap<>();
        boolean truncated = false;
        for (Pending p : pending) {
            if (p.truncate()) {
                out.add(Change.truncation());
                latest.clear();
                removed.clear();
                truncated = true;
                continue;
            }
            if (p.after() == null) {
                out.add(Change.delete(p.id()));
                if (latest.containsKey(p.id()) || truncated) {
                    removed.put(p.id(), latest.get(p.id()));
                } else {
                    removed.remove(p.id()); // as it was before: the backend's row
                }
                latest.put(p.id(), null);
                continue;
            }
            ObjectNode after = p.after();
            if (!p.unavailable().isEmpty()) {
                ObjectNode before;
                if (p.previousId() != null && !p.previousId().equals(p.id())) {
                    String old = p.previousId();
                    // Its delete came just before: the row it removed, known here or the backend's.
                    before = removed.containsKey(old) ? removed.get(old) : truncated ? null : current(table, old);
                } else {
                    before = latest.containsKey(p.id()) || truncated ? latest.get(p.id()) : current(table, p.id());
                }
                Pending.fill(after, p.unavailable(), before);
            }
            latest.put(p.id(), after);
            out.add(Change.upsert(p.id(), after));
        }
        return out;
    }

    private ObjectNode current(String table, String id) {
        try {
            return backend.get(table, id).data();
        } catch (LiveQueryException e) {
            return null;
        }
    }
}
