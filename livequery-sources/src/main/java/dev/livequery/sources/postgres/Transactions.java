package dev.livequery.sources.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Rows;
import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.sources.postgres.SourceException.Code;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Cuts Debezium's record stream into the units livequery applies atomically: the initial
 * snapshot (every {@code r} record up to the one marked {@code last}), and each transaction
 * (from its {@code BEGIN} to its {@code END} record, whose offset carries the commit LSN).
 *
 * <p>When every fed table is empty Debezium's snapshot has no record, so nothing marks its end:
 * an engine that snapshots ({@code snapshotting}) ends it at the first record after it instead,
 * with an empty snapshot of every fed table (the rows livequery held are gone in Postgres too). At
 * a heartbeat (or an END without its BEGIN) that is the unit; at a transaction, the transaction
 * becomes part of it (its rows applied to the empty tables, as of its commit LSN), so that the
 * stored position never points into a transaction.
 *
 * <p>A {@code BEGIN} while a transaction is still open means Debezium restarted its task and
 * replays from its last committed offset: the open part is dropped, the replay brings it whole.
 * Single-threaded: called from the engine's consumer only.
 */
final class Transactions {
    private static final Logger LOG = Logger.getLogger(Transactions.class.getName());

    /**
     * A row change before its unchanged TOAST columns are filled ({@link RowResolver}):
     * {@code after == null} deletes, {@code truncate} empties.
     * {@code previousId}: for the new row of an UPDATE that changed the key (Debezium sends it as
     * a delete of the old key and a create of the new one), the old key's id, whose row the
     * {@code unavailable} columns are taken from; else null.
     */
    record Pending(String id, ObjectNode after, List<String> unavailable, boolean truncate, String previousId) {
        Pending(String id, ObjectNode after, List<String> unavailable, boolean truncate) {
            this(id, after, unavailable, truncate, null);
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

    /** Debezium's topic for the BEGIN/END records ({@code topic.transaction}'s default under our prefix). */
    static final String TRANSACTION_TOPIC = EngineProperties.PREFIX + ".transaction";

    private final Map<String, TableMapping> byTopic = new HashMap<>();
    private final List<TableMapping> tables;
    private final AtomicLong skipped;
    private Map<TableMapping, List<ObjectNode>> snapshot;
    /** Debezium snapshots first and no record of it came yet. */
    private boolean awaitingSnapshot;

    private Map<TableMapping, List<Pending>> open;
    private int openCount;
    private long openMillis;

    /**
     * {@code skipped}: counts rows left out because their key is no livequery id ({@link #skip});
     * {@code snapshotting}: the engine starts without offsets, so its first unit is a snapshot.
     */
    Transactions(List<TableMapping> tables, AtomicLong skipped, boolean snapshotting) {
        this.tables = tables;
        this.skipped = skipped;
        this.awaitingSnapshot = snapshotting;
        for (TableMapping t : tables) {
            byTopic.put(EngineProperties.topic(t), t);
        }
    }

    Unit accept(SourceRecord r) throws SourceException {
        String topic = r.topic();
        long lsn = lsn(r, "lsn");
        // Exactly this name: a fed table named "transaction" has the topic livequery.<schema>.transaction.
        if (topic.equals(TRANSACTION_TOPIC) && r.value() instanceof Struct v) {
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
                if (snapshotEnded(r)) {
                    return emptySnapshot(lsn);
                }
                return new Done(true, lsn); // the END of a transaction whose BEGIN was before our start
            }
            Txn t = new Txn(lsn(r, "lsn_commit"), openMillis, open, openCount);
            open = null;
            if (snapshotEnded(r)) {
                return snapshotWith(t);
            }
            return t;
        }
        TableMapping t = byTopic.get(topic);
        if (t == null || !(r.value() instanceof Struct v)) {
            // heartbeats: only a position
            if (open == null && snapshotEnded(r)) {
                return emptySnapshot(lsn);
            }
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
            String id = ColumnValues.id(after, t.id());
            if (!skip(t, id)) {
                snapshot.get(t).add(ColumnValues.row(after, t.id(), id, missing));
            }
            if ("last".equals(mark)) {
                Snapshot s = new Snapshot(lsn, snapshot);
                snapshot = null;
                awaitingSnapshot = false;
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
                if (skip(t, id)) {
                    yield null;
                }
                ObjectNode row = ColumnValues.row(after, t.id(), id, missing);
                // A key change's new row lacks its unchanged TOAST columns too; they are the old key's.
                yield new Pending(id, row, missing, false, missing.isEmpty() ? null : previousId(r, t));
            }
            case "d" -> {
                String id = ColumnValues.id(v.getStruct("before"), t.id());
                yield skip(t, id) ? null : new Pending(id, null, List.of(), false);
            }
            case "t" -> new Pending(null, null, List.of(), true);
            default -> throw new SourceException(Code.UNMAPPABLE_VALUE, "unknown Debezium op '" + op + "'");
        };
        if (p == null) {
            return new Done(false, lsn);
        }
        open.computeIfAbsent(t, x -> new ArrayList<>()).add(p);
        openCount++;
        return new Done(false, lsn);
    }

    /**
     * Whether {@code r}, not a snapshot record, ends a snapshot that had no record: the engine
     * snapshots, none came, and Debezium no longer marks its offsets as the snapshot's.
     */
    private boolean snapshotEnded(SourceRecord r) {
        if (!awaitingSnapshot || snapshot != null) {
            return false;
        }
        Map<String, ?> o = r.sourceOffset();
        if (o != null && Boolean.TRUE.equals(o.get("snapshot"))) {
            return false;
        }
        awaitingSnapshot = false;
        return true;
    }

    /** Every fed table empty, as of {@code lsn} (a position only: no transaction is at or below it). */
    private Snapshot emptySnapshot(long lsn) {
        Map<TableMapping, List<ObjectNode>> rows = new LinkedHashMap<>();
        for (TableMapping m : tables) {
            rows.put(m, new ArrayList<>());
        }
        LOG.info("postgres source: the snapshot had no row: every fed table is empty in Postgres");
        return new Snapshot(Math.max(lsn, 0), rows);
    }

    /** An empty snapshot and then {@code t}: the rows {@code t} leaves in the empty tables, as of its commit. */
    private Snapshot snapshotWith(Txn t) {
        Map<TableMapping, List<ObjectNode>> rows = new LinkedHashMap<>();
        for (TableMapping m : tables) {
            List<ObjectNode> now = new ArrayList<>();
            List<Pending> share = t.changes().get(m);
            if (share != null) {
                for (ObjectNode row : RowResolver.resolve(
                                share, RowResolver.EMPTY, RowResolver.NONE, new LinkedHashMap<>())
                        .values()) {
                    if (row != null) {
                        now.add(row);
                    }
                }
            }
            rows.put(m, now);
        }
        LOG.info("postgres source: the snapshot had no row: every fed table was empty in Postgres before the"
                + " transaction committed at LSN " + t.commitLsn());
        return new Snapshot(t.commitLsn(), rows);
    }

    /**
     * Whether a row is left out because its key's text is no livequery row id (PROTOCOL §1: 1 to
     * 128 characters, no control characters, valid Unicode). One such row must not stop the
     * feed of every other row, as refusing it would: it is skipped (its changes too, so it never
     * appears in the fed table), counted ({@code source_rows_skipped}) and logged once per change.
     */
    private boolean skip(TableMapping t, String id) {
        try {
            Rows.checkId(id);
            return false;
        } catch (LiveQueryException e) {
            skipped.incrementAndGet();
            LOG.warning("postgres source: skipped a change of " + t.source() + " (feeding '" + t.table()
                    + "'): its key " + t.id() + " = '" + shown(id) + "' (" + id.codePointCount(0, id.length())
                    + " characters) is no livequery row id (" + e.getMessage() + "); the row stays out of '"
                    + t.table() + "' until its key is 1..128 characters, no control characters");
            return true;
        }
    }

    /** The first 40 characters of an id, control characters as '?': a log line stays one line. */
    static String shown(String id) {
        StringBuilder b = new StringBuilder();
        id.codePoints().limit(40).forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return id.codePointCount(0, id.length()) > 40 ? b + "…" : b.toString();
    }

    /**
     * The old key's id when {@code r} is the create Debezium emits for an UPDATE that changed the
     * key (header {@code __debezium.oldkey}, the old key's struct), else null.
     */
    private static String previousId(SourceRecord r, TableMapping t) throws SourceException {
        Header h = r.headers() == null ? null : r.headers().lastWithName(OLD_KEY);
        if (h == null || !(h.value() instanceof Struct key) || key.schema().field(t.id()) == null) {
            return null;
        }
        return ColumnValues.id(key, t.id());
    }

    /** The header Debezium puts on the create of a key-changing UPDATE (RelationalChangeRecordEmitter). */
    static final String OLD_KEY = "__debezium.oldkey";

    private static long lsn(SourceRecord r, String key) {
        Object v = r.sourceOffset() == null ? null : r.sourceOffset().get(key);
        return v instanceof Number n ? n.longValue() : -1;
    }
}
