package dev.livequery.shard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.core.Query;
import dev.livequery.core.QueryResult;
import dev.livequery.core.Row;
import java.util.ArrayList;
import java.util.List;

final class Fixtures {
    static final EngineOptions OPTIONS = EngineOptions.defaults().withMaxQueued(4096);

    private Fixtures() {}

    static Query query(String json) {
        try {
            return Query.parse(Json.MAPPER.readTree(json));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static ObjectNode row(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The truth: a one-shot query, as (id, version) items. */
    static List<Client.Item> truth(Backend b, Query q) {
        try {
            QueryResult r = b.query(q);
            List<Client.Item> out = new ArrayList<>();
            for (Row row : r.rows()) {
                out.add(new Client.Item(row.id(), row.version()));
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
