package dev.livequery.sources.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LocalBackend;
import dev.livequery.core.Query;
import dev.livequery.core.QueryResult;
import dev.livequery.core.Row;
import dev.livequery.core.Subscription;
import dev.livequery.core.Where;
import dev.livequery.core.WriteResult;
import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The backend as the gateway sees it when a Postgres source feeds some tables (embedded mode: the
 * {@link LocalBackend} the source writes into; cluster mode: the Redis backend, which the source's
 * lease holder writes into): reads and subscriptions pass through; writes to a fed table are
 * refused with 403 {@code forbidden} unless {@code livequery.sources.postgres.writable} (Postgres
 * is their system of record, and a write here would be overwritten by the next change there);
 * {@link #ready()} waits for the source; {@link #gauges()} adds the source's.
 */
public final class SourcedBackend implements Backend {
    private final Backend delegate;
    private final SourceStatus source;

    public SourcedBackend(Backend delegate, SourceStatus source) {
        this.delegate = delegate;
        this.source = source;
    }

    /**
     * The gateway's hook in embedded mode: {@code local} itself when {@code node}
     * ({@code livequery.sources.postgres}) configures no source, else {@code local} fed by a
     * started source. Throws what {@link PostgresSource#start} throws.
     */
    public static Backend attach(io.helidon.config.Config node, LocalBackend local) throws SourceException {
        PostgresSourceConfig config = PostgresSourceConfig.from(node);
        return config == null ? local : new SourcedBackend(local, PostgresSource.start(config, local));
    }

    public SourceStatus source() {
        return source;
    }

    @Override
    public Subscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException {
        return delegate.subscribe(query, resume, wakeup);
    }

    @Override
    public QueryResult query(Query query) throws LiveQueryException {
        return delegate.query(query);
    }

    @Override
    public WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write)
            throws LiveQueryException {
        writable(table);
        return delegate.put(table, id, row, ifMatch, write);
    }

    @Override
    public WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write)
            throws LiveQueryException {
        writable(table);
        return delegate.patch(table, id, fields, ifMatch, write);
    }

    @Override
    public WriteResult delete(String table, String id, Long ifMatch, Where write) throws LiveQueryException {
        writable(table);
        return delegate.delete(table, id, ifMatch, write);
    }

    @Override
    public Row get(String table, String id, Where read) throws LiveQueryException {
        return delegate.get(table, id, read);
    }

    @Override
    public List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes, Where write)
            throws LiveQueryException {
        writable(table);
        return delegate.batch(table, upserts, deletes, write);
    }

    /** The delegate's remembering writes, behind the same read-only check. */
    @Override
    public Backend idempotent(String key, String request) {
        return new SourcedBackend(delegate.idempotent(key, request), source);
    }

    private void writable(String table) throws LiveQueryException {
        TableMapping t = source.config().feeding(table);
        if (t != null && !source.config().writable()) {
            throw new LiveQueryException(
                    LiveQueryException.Code.FORBIDDEN,
                    "table '" + table + "' is fed by the "
                            + "postgres source (" + t.source() + "); write to Postgres, or set "
                            + "livequery.sources.postgres.writable: true");
        }
    }

    /** Ready when the backend is and the source can serve its tables ({@link SourceStatus#ready()}). */
    @Override
    public boolean ready() {
        return delegate.ready() && source.ready();
    }

    @Override
    public Map<String, Long> gauges() {
        Map<String, Long> g = new LinkedHashMap<>(delegate.gauges());
        g.putAll(source.gauges());
        return g;
    }

    /** For {@code /health}: the source's state, position and error. */
    public Map<String, Object> health() {
        return source.health();
    }

    @Override
    public void close() {
        source.close();
        delegate.close();
    }
}
