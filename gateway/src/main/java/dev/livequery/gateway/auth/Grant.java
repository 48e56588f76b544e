package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Where;
import java.util.Objects;

/**
 * What a rule gives one token on one table for reading or writing: nothing, every row, or the
 * rows a {@code where} (claims already substituted) matches. Immutable; the parsed filter is kept
 * once it has been asked for, so a memoized grant is parsed once, not per request.
 */
public final class Grant {
    public static final Grant DENY = new Grant(false, null);
    public static final Grant ALL = new Grant(true, null);

    private final boolean allowed;
    private final ObjectNode where;
    /** {@link #where} parsed; set on first use (a benign race: Where is immutable, both parses are equal). */
    private volatile Where filter;

    /** @param where null when {@code allowed} means every row */
    public Grant(boolean allowed, ObjectNode where) {
        this.allowed = allowed;
        this.where = where;
    }

    static Grant where(ObjectNode w) {
        return new Grant(true, w);
    }

    public boolean allowed() {
        return allowed;
    }

    /** The filter as JSON; null when {@code allowed} means every row. Not to be modified. */
    public ObjectNode where() {
        return where;
    }

    /** True when the grant restricts rows (a filter must be applied). */
    public boolean filtered() {
        return allowed && where != null;
    }

    /** The parsed filter of a {@link #filtered} grant. */
    Where filter() throws LiveQueryException {
        Where f = filter;
        if (f == null) {
            f = Where.parse(where);
            filter = f;
        }
        return f;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Grant g && allowed == g.allowed && Objects.equals(where, g.where);
    }

    @Override
    public int hashCode() {
        return Objects.hash(allowed, where);
    }

    @Override
    public String toString() {
        return "Grant[allowed=" + allowed + ", where=" + where + "]";
    }
}
