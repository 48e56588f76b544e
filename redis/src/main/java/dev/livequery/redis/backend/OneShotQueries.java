package dev.livequery.redis.backend;

import dev.livequery.core.Engine;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.QueryResult;
import dev.livequery.redis.store.RowStore;
import io.lettuce.core.RedisException;

/** The cluster backend's one-shot queries ({@code GET …/query}): no shard round trip. */
final class OneShotQueries {
    private final EngineOptions options;
    private final RowStore store;

    OneShotQueries(EngineOptions options, RowStore store) {
        this.options = options;
        this.store = store;
    }

    /**
     * One-shot window: the table read atomically from Redis into a throwaway engine. Costs a read
     * of the whole table; fine for the tables this tier serves, and it needs no shard round trip.
     */
    QueryResult query(Query query) throws LiveQueryException {
        String table = Tables.check(options, query.shape().table());
        RowStore.TableState ts = store.table(table);
        int epoch;
        try {
            epoch = store.epoch();
        } catch (RedisException e) {
            throw RowStore.unavailable(e);
        }
        try (Engine tmp = new Engine(options, epoch)) {
            tmp.restore(table, ts.rows(), ts.seq(), "subscribe");
            return tmp.query(query);
        }
    }
}
