package dev.livequery.sources.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.SourceException.Code;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Cuts Debezium's record stream into the units livequery applies atomically: the initial
 * snapshot (every {@code r} record up to the one marked {@code last}), and each transaction
 * (from its {@code BEGIN} to its {@code END} record, whose offset carries the commit LSN).
 *
 * <p>A {@code BEGIN} while a transaction is still open means Debezium restarted its task and
 * replays from its last committed offset: the open part is dropped, the replay brings it whole.
 * Single-threaded: called from the engine's consumer only.
 */
final class Transactions {
    private static final Logger LOG = Logger.getLogger(Transactions.class.getName());

    /** A row change before TOAST merging: {@code after == null} deletes, {@code truncate} empties. */
    record Pending(String id, ObjectNode after, List<String> unavailable, boolean truncate) {
        /** Copies the {@code unavailable} columns (unchanged TOAST values) from {@code before} into {@code after}. */
        static void fill(ObjectNode after, List<String> unavailable, ObjectNode before) {
            for (String column : unavailable) {
                if (before != null && before.has(column)) {
                    after.set(column, before.get(column).deepCopy());
                }
            }
        }
    }

    /** One committed transaction, changes grouped per fed table in commit order. */
    record Txn(long commitLsn, long commitMillis, Map<TableMapping, List<Pending>> changes, int count)
            implements Unit {}

    /** The initial snapshot, as of {@code lsn}; every mapped table is present, maybe empty. */
    record Snapshot(long lsn, Map<TableMapping, List<ObjectNode>> rows) implements Unit {}

    /** What a record completed. */
    sealed interface Unit permits Done, Snapshot, Txn {}

    /** Nothing to apply; {@code idle} when no unit is open, so the position may be acknowledged. */
    record Done(boolean idle, long lsn) implements Unit {}

    private final Map<String, TableMapping> byTopic = new HashMap<>();
    private final List<TableMapping> tables;
    private Map<TableMapping, List<ObjectNode>> snapshot;
    private Map<TableMapping, List<Pending>> open;
    private int openCount;
    private long openMillis;

    Transactions(List<TableMapping> tables) {
        this.tables = tables;
        for (TableMapping t : tables) {
            byTopic.put(EngineProperties.topic(t), t);
        }
    }

    Unit accept(SourceRecord r) throws SourceException {
        String topic = r.topic();
        long lsn = lsn(r, "lsn");
        if (topic.endsWith(".transaction") && r.value() instanceof Struct v) {
            if ("BEGIN".equals(v.getString("status"))) {
                if (open != null) {
                    LOG.info("transaction replayed after a restart of the stream; dropping its partial copy");
                }
                open = new LinkedHashMap<>();
                openCount = 0;
                openMillis = v.getInt64("ts_ms");
                return new Done(false, lsn);
            }
            if (open == null) {
                return new Done(true, lsn); // the END of a transaction whose BEGIN was before our start
            }
            Txn t = new Txn(lsn(r, "lsn_commit"), openMillis, open, openCount);
            open = null;
            return t;
        }
        TableMapping t = byTopic.get(topic);
        if (t == null || !(r.value() instanceof Struct v)) {
            // heartbeats: only a position
            return new Done(open == null && snapshot == null, lsn);
        }
        String op = v.getString("op");
        Struct source = v.getStruct("source");
        if ("r".equals(op)) {
            String mark = source.getString("snapshot");
            if (snapshot == null || "first".equals(mark)) {
                snapshot = new LinkedHashMap<>();
                for (TableMapping m : tables) {
                    snapshot.put(m, new ArrayList<>());
                }
            }
            Struct after = v.getStruct("after");
            List<String> missing = new ArrayList<>();
            snapshot.get(t).add(ColumnValues.row(after, t.id(), ColumnValues.id(after, t.id()), missing));
            if ("last".equals(mark)) {
                Snapshot s = new Snapshot(lsn, snapshot);
                snapshot = null;
                return s;
            }
            return new Done(false, lsn);
        }
        if (open == null) {
            throw new SourceException(
                    Code.UNMAPPABLE_VALUE,
                    "a change to " + t.source() + " arrived outside a " + "transaction (op " + op
                            + "); provide.transaction.metadata must be on");
        }
        Pending p = switch (op) {
            case "c", "u" -> {
                Struct after = v.getStruct("after");
                List<String> missing = new ArrayList<>();
                String id = ColumnValues.id(after, t.id());
                yield new Pending(id, ColumnValues.row(after, t.id(), id, missing), missing, false);
            }
            case "d" -> new Pending(ColumnValues.id(v.getStruct("before"), t.id()), null, List.of(), false);
            case "t" -> new Pending(null, null, List.of(), true);
            default -> throw new SourceException(Code.UNMAPPABLE_VALUE, "unknown Debezium op '" + op + "'");
        };
        open.computeIfAbsent(t, x -> new ArrayList<>()).add(p);
        openCount++;
        return new Done(false, lsn);
    }

    private static long lsn(SourceRecord r, String key) {
        Object v = r.sourceOffset() == null ? null : r.sourceOffset().get(key);
        return v instanceof Number n ? n.longValue() : -1;
    }
}
