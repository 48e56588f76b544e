package dev.livequery.shard.cluster;

import dev.livequery.core.Row;
import dev.livequery.redis.store.RowStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a new owner gives its engine the history the previous owner had: a table's rows as of a
 * stream position, rolled back through the retained changes' before-images to the oldest change
 * that can be undone, then those changes replayed forward. A pure function, so it has its own tests.
 */
final class Rollback {
    /** The rows at version {@code base}, and the changes after it, oldest first, to replay. */
    record Plan(List<Row> rows, long base, List<RowStore.Change> replay) {}

    private Rollback() {}

    /**
     * @param table the table's rows and counter as of the snapshot
     * @param changes the table's retained changes up to the snapshot, oldest first
     */
    static Plan of(RowStore.TableState table, List<RowStore.Change> changes) {
        // Only a contiguous run of versions ending at the table's counter can be rolled back: a
        // trimmed or lost entry in between would make the rollback invent a state that never was.
        int start = changes.size();
        long expect = table.seq();
        while (start > 0 && changes.get(start - 1).version() == expect) {
            start--;
            expect--;
        }
        Map<String, Row> rows = new LinkedHashMap<>();
        for (Row r : table.rows()) {
            rows.put(r.id(), r);
        }
        for (int i = changes.size() - 1; i >= start; i--) {
            RowStore.Change c = changes.get(i);
            if (c.before() == null) {
                rows.remove(c.id());
            } else {
                rows.put(c.id(), new Row(c.id(), c.beforeVersion(), c.before()));
            }
        }
        return new Plan(new ArrayList<>(rows.values()), expect, List.copyOf(changes.subList(start, changes.size())));
    }
}
