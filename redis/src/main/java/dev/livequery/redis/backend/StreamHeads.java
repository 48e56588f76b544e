package dev.livequery.redis.backend;

import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads the head (newest entry id) of partitions' change streams in one round trip, for the
 * {@link Progress} check: on a standalone Redis one script over every stream; on a Redis Cluster
 * (a script cannot span slots) one call per partition, all sent before any answer is awaited, each
 * failing alone, so a node that is down hides only its own partitions' heads.
 */
final class StreamHeads {
    // KEYS: change streams. Returns per stream its newest entry id, or '' when it is empty.
    private static final Redis.Script HEADS = Redis.Script.of("""
            local out = {}
            for i = 1, #KEYS do
              local last = redis.call('XREVRANGE', KEYS[i], '+', '-', 'COUNT', 1)
              out[i] = last[1] and last[1][1] or ''
            end
            return out
            """);

    private final Redis redis;

    StreamHeads(Redis redis) {
        this.redis = redis;
    }

    /**
     * The heads of the partitions' streams, in order: null for an empty stream or (Cluster) one
     * whose read failed. Throws when the whole read fails (standalone Redis unreachable).
     */
    List<String> read(List<Integer> ps) {
        if (ps.isEmpty()) {
            return List.of();
        }
        if (!redis.cluster()) {
            String[] keys = new String[ps.size()];
            for (int i = 0; i < ps.size(); i++) {
                keys[i] = Keys.changes(ps.get(i));
            }
            List<String> heads = redis.eval(HEADS, ScriptOutputType.MULTI, keys);
            List<String> out = new ArrayList<>(heads.size());
            for (String h : heads) {
                out.add(h == null || h.isEmpty() ? null : h);
            }
            return out;
        }
        List<CompletableFuture<List<String>>> calls = new ArrayList<>(ps.size());
        for (int p : ps) {
            calls.add(redis.evalAsync(HEADS, ScriptOutputType.MULTI, new String[] {Keys.changes(p)}));
        }
        List<String> out = new ArrayList<>(Collections.nCopies(ps.size(), (String) null));
        long deadline = System.nanoTime() + redis.timeout().toNanos() + 500_000_000L; // the command timeout fires first
        for (int i = 0; i < calls.size(); i++) {
            try {
                List<String> h = calls.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                out.set(i, h.isEmpty() || h.get(0) == null || h.get(0).isEmpty() ? null : h.get(0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                // this partition's node is down or slow: no observation this round
            }
        }
        return out;
    }
}
