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

    /** The share's changes in order, their rows filled ({@link RowResolver}) from the backend's rows as they were. */
    private List<Change> resolve(String table, List<Pending> pending) {
        List<Change> out = new ArrayList<>(pending.size());
        RowResolver.resolve(
                pending,
                id -> current(table, id),
                new RowResolver.Sink() {
                    @Override
                    public void truncate() {
                        out.add(Change.truncation());
                    }

                    @Override
                    public void delete(String id) {
                        out.add(Change.delete(id));
                    }

                    @Override
                    public void upsert(String id, ObjectNode row) {
                        out.add(Change.upsert(id, row));
                    }
                },
                new HashMap<>());
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
