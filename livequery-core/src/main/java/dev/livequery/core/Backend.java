package dev.livequery.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * The seam between transports (the gateway) and whatever keeps the data and the views: the
 * embedded {@link LocalBackend}, or the Redis-backed cluster. Everything a gateway does goes
 * through here, so a gateway holds no state a client needs.
 *
 * <p>Every method is thread-safe. Errors are {@link LiveQueryException}s with protocol codes.
 */
public interface Backend extends AutoCloseable {
    /**
     * Starts a live window. The first frames (drained from the subscription) are either
     * {@code reset subscribe} + snapshot + {@code ready}, or, when {@code resume} names a state
     * this backend can rebuild, only the splice from that state + {@code ready resumed:true}.
     * A resume token that does not verify gives {@code reset resume_miss}, never an error.
     *
     * @param resume an eid the client applied last, or null
     * @param wakeup called, without blocking and possibly under engine locks, when the
     *               subscription goes from nothing to drain to something to drain
     */
    Subscription subscribe(Query query, String resume, Runnable wakeup) throws LiveQueryException;

    /** One-shot window, as a subscription would see it now (restricted by the shape's access). */
    QueryResult query(Query query) throws LiveQueryException;

    /*
     * Writes and row reads take the principal's filter (PROTOCOL §9; null = unrestricted). A row
     * outside the read filter, or whose current image is outside the write filter, is answered
     * NOT_FOUND exactly as if absent; a write whose result would be outside the write filter is
     * FORBIDDEN. A refused write changes nothing (a batch: nothing of the batch).
     */

    /** Inserts or replaces; {@code ifMatch} (nullable) is compare-and-set on the current version. */
    WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write) throws LiveQueryException;

    /** Merges top-level fields; a null value removes the field. NOT_FOUND if the row is absent. */
    WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write) throws LiveQueryException;

    /** Deletes; NOT_FOUND if absent. The delete gets a version too. */
    WriteResult delete(String table, String id, Long ifMatch, Where write) throws LiveQueryException;

    /** The current row; NOT_FOUND if absent or outside {@code read}. */
    Row get(String table, String id, Where read) throws LiveQueryException;

    /**
     * Upserts then deletes, each row atomically; all inputs, and every row against {@code write},
     * are checked before anything is written.
     */
    List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes, Where write)
            throws LiveQueryException;

    default WriteResult put(String table, String id, ObjectNode row, Long ifMatch) throws LiveQueryException {
        return put(table, id, row, ifMatch, null);
    }

    default WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch) throws LiveQueryException {
        return patch(table, id, fields, ifMatch, null);
    }

    default WriteResult delete(String table, String id, Long ifMatch) throws LiveQueryException {
        return delete(table, id, ifMatch, null);
    }

    default Row get(String table, String id) throws LiveQueryException {
        return get(table, id, null);
    }

    default List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes)
            throws LiveQueryException {
        return batch(table, upserts, deletes, null);
    }

    /** True when the backend can serve subscriptions and writes. */
    boolean ready();

    /** Point-in-time gauges for metrics, e.g. {@code views}, {@code subscriptions}. */
    Map<String, Long> gauges();

    @Override
    void close();

    /**
     * This backend's writes under an idempotency key (HTTP {@code Idempotency-Key}; rules in
     * {@link Idempotency}): a write retried with the same key and the same {@code request}
     * within the horizon answers the first successful attempt's result and changes nothing; the
     * same key with another {@code request} is refused with {@code IDEMPOTENCY_KEY_REUSED} and
     * changes nothing. Reads and subscriptions of the returned backend are this one's.
     *
     * @param request the request as its client sent it (method, table, row, If-Match, body,
     *                principal), in any form that is equal exactly when the requests are: only
     *                its digest is kept
     */
    default Backend idempotent(String key, String request) {
        return this;
    }
}
