package dev.livequery.redis.backend;

import static dev.livequery.core.LiveQueryException.Code.UNKNOWN_TABLE;

import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;

/** The table-name check every request starts with, by the same rules as the embedded backend. */
final class Tables {
    private Tables() {}

    /** {@code name} if it is a valid table name in {@code livequery.tables.allow} (when set). */
    static String check(EngineOptions options, String name) throws LiveQueryException {
        Query.table(name);
        if (!options.allows(name)) {
            throw new LiveQueryException(UNKNOWN_TABLE, "table '" + name + "' is not in livequery.tables.allow");
        }
        return name;
    }
}
