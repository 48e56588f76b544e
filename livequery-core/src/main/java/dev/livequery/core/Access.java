package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.FORBIDDEN;
import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The row-level checks of PROTOCOL §9, shared by every backend so that they refuse the same
 * things with the same codes and messages. A row outside a filter gets exactly the error an
 * absent row gets, word for word, so no response tells a principal that such a row exists.
 */
public final class Access {
    private Access() {}

    /** Whether {@code row} is visible under {@code filter} (null = unrestricted). */
    public static boolean admits(Where filter, ObjectNode row) {
        return filter == null || filter.matches(row);
    }

    /** The write's before-image must be inside the filter; outside, it does not exist. */
    public static void checkBefore(Where write, String table, String id, ObjectNode before) throws LiveQueryException {
        if (before != null && !admits(write, before)) {
            throw notFound(table, id);
        }
    }

    /** The write's after-image must be inside the filter, or the write is forbidden. */
    public static void checkAfter(Where write, String id, ObjectNode after) throws LiveQueryException {
        if (after != null && !admits(write, after)) {
            throw new LiveQueryException(
                    FORBIDDEN,
                    "row '" + id + "' as written would be outside what this " + "token may write; nothing was changed");
        }
    }

    /** The error for an absent row, and for a row the principal may not see. */
    public static LiveQueryException notFound(String table, String id) {
        return new LiveQueryException(NOT_FOUND, "row '" + id + "' does not exist in table '" + table + "'");
    }

    /** The batch form of {@link #notFound}. */
    public static LiveQueryException notFoundInBatch(String table, String id) {
        return new LiveQueryException(
                NOT_FOUND,
                "row '" + id + "' does not exist in table '" + table + "'; nothing in the batch was applied");
    }
}
