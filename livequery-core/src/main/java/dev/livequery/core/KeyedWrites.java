package dev.livequery.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * What {@link Backend#idempotent} returns: the four writes under one key, everything else passed
 * to the backend it came from. A view, not an owner: closing it leaves that backend open.
 */
public abstract class KeyedWrites implements Backend {
    private final Backend base;

    protected KeyedWrites(Backend base) {
        this.base = base;
    }

    @Override
    public abstract WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write)
            throws LiveQueryException;

    @Override
    public abstract WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write)
            throws LiveQueryException;

    @Override
    public abstract WriteResult delete(String table, String id, Long ifMatch, Where write) throws LiveQueryException;

    @Override
    public abstract List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes, Where write)
            throws LiveQueryException;

    @Override
    public final Subscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException {
        return base.subscribe(query, resume, wakeup);
    }

    @Override
    public final QueryResult query(Query query) throws LiveQueryException {
        return base.query(query);
    }

    @Override
    public final Row get(String table, String id, Where read) throws LiveQueryException {
        return base.get(table, id, read);
    }

    @Override
    public final boolean ready() {
        return base.ready();
    }

    @Override
    public final Map<String, Long> gauges() {
        return base.gauges();
    }

    @Override
    public final void close() {
        // the backend it came from is closed by its owner
    }

    @Override
    public final Backend idempotent(String key, String request) {
        return base.idempotent(key, request);
    }
}
