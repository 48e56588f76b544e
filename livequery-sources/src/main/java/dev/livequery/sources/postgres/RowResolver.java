package dev.livequery.sources.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.sources.postgres.Transactions.Pending;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves one fed table's share of one or more transactions (in commit order) into row writes:
 * the one place that knows how Debezium's changes become rows, for every applier
 * ({@link LocalApplier}, {@link RedisApplier}) and for the transaction folded into an empty
 * snapshot ({@link Transactions}).
 *
 * <p>The rules: a change without {@code after} deletes its row, a truncate empties the table, any
 * other change writes its row whole. Columns Debezium could not send (unchanged TOAST values,
 * {@link Pending#unavailable}) are taken from the row as it was just before: as an earlier change
 * of this share left it, else as it was before the share ({@link Before}; nothing after a
 * truncate). The new row of an UPDATE that changed the key (Debezium sends a delete of the old
 * key, then the new row with {@link Pending#previousId}) takes them from the old key's row as it
 * was just before that delete.
 *
 * <p>Per change: one or two map lookups (and one before the share's rows when the row was not
 * changed in it yet); the filled columns are copied. Single-threaded, static: no state between
 * shares.
 */
final class RowResolver {
    /** The rows as they were before the share. */
    interface Before {
        /** Row {@code id}'s columns before the share, or null when there was none. */
        ObjectNode row(String id);
    }

    /** Told each resolved change, in order (its row filled); by default nothing. */
    interface Sink {
        /** After the truncate: every row {@code net} held is null. */
        default void truncate() {}

        default void delete(String id) {}

        default void upsert(String id, ObjectNode row) {}
    }

    /** For callers that want only the net rows. */
    static final Sink NONE = new Sink() {};

    /** Before an empty table: no row. */
    static final Before EMPTY = id -> null;

    private RowResolver() {}

    /**
     * Resolves {@code pending}, filling each new row's unavailable columns in place, telling
     * {@code sink} each change, and returns {@code net}: every row id the share changed, mapped to
     * its last row, or to null when it ends deleted (after a truncate, every row {@code net} held
     * is null; rows the share did not touch are gone too, which {@code net} does not list). Which
     * map {@code net} is (a HashMap, a LinkedHashMap for first-change order) is the caller's.
     */
    static Map<String, ObjectNode> resolve(
            List<Pending> pending, Before before, Sink sink, Map<String, ObjectNode> net) {
        // Rows deleted in this share as they were just before, when known here (not before's).
        Map<String, ObjectNode> removed = new HashMap<>();
        boolean truncated = false;
        for (Pending p : pending) {
            if (p.truncate()) {
                net.replaceAll((id, row) -> null);
                removed.clear();
                truncated = true;
                sink.truncate();
                continue;
            }
            String id = p.id();
            if (p.after() == null) {
                if (truncated || net.containsKey(id)) {
                    removed.put(id, net.get(id));
                } else {
                    removed.remove(id); // as it was before the share: before's row
                }
                net.put(id, null);
                sink.delete(id);
                continue;
            }
            if (!p.unavailable().isEmpty()) {
                String old = p.previousId();
                ObjectNode was;
                if (old != null && !old.equals(id)) {
                    // a key change: its delete of the old id came just before
                    was = removed.containsKey(old) ? removed.get(old) : truncated ? null : before.row(old);
                } else {
                    was = net.containsKey(id) ? net.get(id) : truncated ? null : before.row(id);
                }
                fill(p.after(), p.unavailable(), was);
            }
            net.put(id, p.after());
            sink.upsert(id, p.after());
        }
        return net;
    }

    /** Copies the {@code unavailable} columns (unchanged TOAST values) from {@code before} into {@code after}. */
    private static void fill(ObjectNode after, List<String> unavailable, ObjectNode before) {
        if (before == null) {
            return;
        }
        for (String column : unavailable) {
            if (before.has(column)) {
                after.set(column, before.get(column).deepCopy());
            }
        }
    }
}
