package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;

/**
 * Which part of a shape's order a subscription sees: the {@code limit} rows strictly after the
 * {@code after} cursor, or ending strictly before the {@code before} cursor, or from the top when
 * neither is set. Cursors stay opaque strings here; the backend decodes them against the shape.
 */
public record Window(String after, String before, int limit) {
    public Window {
        if (after != null && before != null) {
            throw new IllegalArgumentException("after and before are exclusive");
        }
    }

    /** Validates the parts a client sent; {@code limit} is checked against the server's max window later. */
    public static Window of(String after, String before, int limit) throws LiveQueryException {
        if (after != null && before != null) {
            throw new LiveQueryException(BAD_QUERY, "give at most one of after and before");
        }
        if (limit < 1) {
            throw new LiveQueryException(BAD_QUERY, "limit must be at least 1, got " + limit);
        }
        return new Window(after, before, limit);
    }
}
