package dev.livequery.redis.backend;

import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Row;
import dev.livequery.redis.store.RowStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes whose outcome depends on the rows as they are (a write filter of PROTOCOL §9, a patch's
 * merge), made one atomic step over Redis: read the rows, decide in Java, then write with each
 * row's precondition set to exactly what was read (the version, or "absent"). The Lua write
 * script checks every precondition before it changes anything, so a row that changed in between
 * makes the whole write fail and it is decided again on the new rows; a check can never pass on
 * one version and the write land on another.
 */
final class CheckedWrites {
    /** Attempts before giving up on a row that keeps changing under us. */
    static final int ATTEMPTS = 50;

    /** Decides the writes from the current rows (null where absent), or refuses by throwing. */
    interface Plan {
        /** One write per id read, in the order of the ids. */
        List<Write> decide(List<Row> current) throws LiveQueryException;
    }

    /**
     * What to write to one row: {@code after} (null deletes) and its text when the caller already
     * made it ({@code Rows.checkSize}), so a checked write encodes its row once; null: the store
     * encodes it.
     */
    record Write(ObjectNode after, String json) {
        static final Write DELETE = new Write(null, null);
    }

    private CheckedWrites() {}

    /**
     * @param userIfMatch whether the client sent If-Match: a concurrent change is then its
     *                    412, not a reason to decide again
     * @param idem        the write's Idempotency-Key, or null. A retry is answered before the
     *                    plan runs: the plan would judge rows the first attempt already changed
     *                    (a deleted row is absent now, a version moved on past If-Match)
     */
    static List<Long> run(
            RowStore store,
            String table,
            List<String> ids,
            boolean userIfMatch,
            RowStore.IdempotencyKey idem,
            Plan plan)
            throws LiveQueryException {
        if (idem != null) {
            List<Long> done = store.remembered(table, idem);
            if (done != null) {
                return done;
            }
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            List<Row> current = store.getAll(table, ids);
            List<Write> writes = plan.decide(current);
            List<RowStore.Op> ops = new ArrayList<>(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                Row cur = current.get(i);
                Write w = writes.get(i);
                ops.add(
                        cur == null
                                ? new RowStore.Op(ids.get(i), w.after(), null, true, w.json())
                                : new RowStore.Op(ids.get(i), w.after(), cur.version(), false, w.json()));
            }
            try {
                return store.write(table, ops, idem);
            } catch (LiveQueryException e) {
                if (e.code() != VERSION_MISMATCH) {
                    throw e;
                }
                if (userIfMatch) {
                    throw new LiveQueryException(
                            VERSION_MISMATCH, "row changed while it was written; " + "not at the version in If-Match");
                }
                // another writer came between our read and write: decide again on the new rows
            }
        }
        throw new LiveQueryException(
                UNAVAILABLE, "rows of table '" + table + "' are changing too fast to write " + "with a check; retry");
    }
}
