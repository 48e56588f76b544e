package dev.livequery.gateway.auth;

import static dev.livequery.core.LiveQueryException.Code.FORBIDDEN;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Row;
import dev.livequery.core.Where;
import dev.livequery.core.WriteResult;
import java.util.List;

/**
 * The backend calls of one principal with its grant applied: the read filter becomes the query's
 * access member (its own part of the shape, never merged into the user's {@code where}), the write
 * filter goes with every write. An unrestricted grant passes null, so none mode and {@code true}
 * rules cost nothing.
 */
public final class Scoped {
    private Scoped() {}

    /** The engine's filter for {@code g}, or null for every row. */
    static Where where(Grant g) throws LiveQueryException {
        if (!g.filtered()) {
            return null;
        }
        try {
            return g.filter();
        } catch (LiveQueryException e) {
            // A claim of the wrong type (an array where a value belongs): the rule cannot be
            // evaluated for this token, and a rule that cannot be evaluated denies.
            throw new LiveQueryException(FORBIDDEN, "this token's claims do not fit the access rule");
        }
    }

    public static Query query(Query q, Grant read) throws LiveQueryException {
        Where w = where(read);
        return w == null ? q : q.withAccess(w);
    }

    public static Row get(Backend b, String table, String id, Grant read) throws LiveQueryException {
        return b.get(table, id, where(read));
    }

    public static WriteResult put(Backend b, String table, String id, ObjectNode row, Long ifMatch, Grant write)
            throws LiveQueryException {
        return b.put(table, id, row, ifMatch, where(write));
    }

    public static WriteResult patch(Backend b, String table, String id, ObjectNode fields, Long ifMatch, Grant write)
            throws LiveQueryException {
        return b.patch(table, id, fields, ifMatch, where(write));
    }

    public static WriteResult delete(Backend b, String table, String id, Long ifMatch, Grant write)
            throws LiveQueryException {
        return b.delete(table, id, ifMatch, where(write));
    }

    public static List<WriteResult> batch(
            Backend b, String table, List<ObjectNode> upserts, List<String> deletes, Grant write)
            throws LiveQueryException {
        return b.batch(table, upserts, deletes, where(write));
    }
}
