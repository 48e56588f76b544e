package dev.livequery.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** The embedded backend's writes under one idempotency key: each goes through its {@link IdempotencyMemory}. */
final class RememberedWrites extends KeyedWrites {
    private final LocalBackend local;
    private final IdempotencyMemory memory;
    private final String key;
    private final String digest;

    RememberedWrites(LocalBackend local, IdempotencyMemory memory, String key, String digest) {
        super(local);
        this.local = local;
        this.memory = memory;
        this.key = key;
        this.digest = digest;
    }

    @Override
    public WriteResult put(String table, String id, ObjectNode row, Long ifMatch, Where write)
            throws LiveQueryException {
        return memory.run(key, digest, () -> local.put(table, id, row, ifMatch, write));
    }

    @Override
    public WriteResult patch(String table, String id, ObjectNode fields, Long ifMatch, Where write)
            throws LiveQueryException {
        return memory.run(key, digest, () -> local.patch(table, id, fields, ifMatch, write));
    }

    @Override
    public WriteResult delete(String table, String id, Long ifMatch, Where write) throws LiveQueryException {
        return memory.run(key, digest, () -> local.delete(table, id, ifMatch, write));
    }

    @Override
    public List<WriteResult> batch(String table, List<ObjectNode> upserts, List<String> deletes, Where write)
            throws LiveQueryException {
        return memory.run(key, digest, () -> local.batch(table, upserts, deletes, write));
    }
}
