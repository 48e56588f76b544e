package dev.livequery.sources.postgres;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Debezium's in-memory offset store, kept per source across engine instances: when the engine
 * stops on a lost connection, {@link PostgresSource} builds a new one, and it must resume from
 * the position already applied (the slot's acknowledged LSN, snapshot done) rather than
 * snapshot again. Debezium instantiates this class by name, so the offsets live in a static map
 * keyed by {@link #KEY}; the source drops its entry when it closes (bounded memory).
 */
public final class HeldOffsets extends MemoryOffsetBackingStore {
    /** The engine property naming which source's offsets an engine reads and writes. */
    static final String KEY = "livequery.offsets.key";

    private static final Map<String, Map<ByteBuffer, ByteBuffer>> HELD = new ConcurrentHashMap<>();

    public HeldOffsets() {}

    @Override
    public void configure(WorkerConfig config) {
        String key = config.originalsStrings().get(KEY);
        if (key == null) {
            throw new IllegalStateException("HeldOffsets needs the engine property " + KEY);
        }
        // set() writes from the store's executor, get() reads from the task: one lock for both
        data = HELD.computeIfAbsent(key, k -> java.util.Collections.synchronizedMap(new HashMap<>()));
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return null; // as Debezium's own memory store: only Kafka Connect's REST API asks
    }

    /**
     * Cluster mode: makes the engine that runs under {@code key} resume from a position stored in
     * Redis ({@code partition}/{@code offset}: a record's {@code sourcePartition()} and
     * {@code sourceOffset()}), serialised exactly as Connect's offset writer does (JSON without
     * schemas, the key being {@code [engine name, partition]}), so the engine reads it as its own.
     */
    static void seed(String key, String engineName, Map<String, Object> partition, Map<String, Object> offset) {
        DebeziumLogs.quiet(); // the converters log their configuration at INFO
        org.apache.kafka.connect.json.JsonConverter keys = new org.apache.kafka.connect.json.JsonConverter();
        keys.configure(Map.of("schemas.enable", "false"), true);
        org.apache.kafka.connect.json.JsonConverter values = new org.apache.kafka.connect.json.JsonConverter();
        values.configure(Map.of("schemas.enable", "false"), false);
        Map<ByteBuffer, ByteBuffer> held =
                HELD.computeIfAbsent(key, k -> java.util.Collections.synchronizedMap(new HashMap<>()));
        held.clear();
        held.put(
                ByteBuffer.wrap(keys.fromConnectData(engineName, null, java.util.Arrays.asList(engineName, partition))),
                ByteBuffer.wrap(values.fromConnectData(engineName, null, offset)));
    }

    /** Whether an engine under {@code key} resumes (offsets held), rather than snapshotting first. */
    static boolean held(String key) {
        Map<ByteBuffer, ByteBuffer> m = HELD.get(key);
        return m != null && !m.isEmpty();
    }

    static void drop(String key) {
        HELD.remove(key);
    }
}
