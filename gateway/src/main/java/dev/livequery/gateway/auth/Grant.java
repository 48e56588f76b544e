package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a rule gives one token on one table for reading or writing: nothing, every row, or the
 * rows a {@code where} (claims already substituted) matches.
 *
 * @param where null when {@code allowed} means every row
 */
public record Grant(boolean allowed, ObjectNode where) {
    public static final Grant DENY = new Grant(false, null);
    public static final Grant ALL = new Grant(true, null);

    static Grant where(ObjectNode w) {
        return new Grant(true, w);
    }

    /** True when the grant restricts rows (a filter must be applied). */
    public boolean filtered() {
        return allowed && where != null;
    }
}
