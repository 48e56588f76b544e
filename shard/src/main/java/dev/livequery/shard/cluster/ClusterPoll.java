package dev.livequery.shard.cluster;

import dev.livequery.redis.store.Redis;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One polling round of the change streams on a Redis Cluster (one {@code XREAD} cannot span
 * slots): one non-blocking read per stream, all sent before any answer is awaited, each answer
 * taken on its own. Why: read one after another, the first read against a node that is down or
 * paused failed the whole round, so partitions on healthy nodes behind it were not read for as
 * long as that node was gone, while the shard's ticks went on telling gateways all was well
 * (silently stale windows; found by {@code ReplicaFailoverTest}). Now a node that is down fails
 * only its own streams' reads, and a round takes at most one command timeout.
 */
final class ClusterPoll {
    /** Applies one entry of stream {@code i}; true if it changed anything. */
    interface Apply {
        boolean apply(int i, StreamMessage<String, String> m);
    }

    /** {@code any}: some entry applied; {@code failed}: the indexes of the reads that failed (read again next round). */
    record Result(boolean any, java.util.Set<Integer> failed) {}

    private ClusterPoll() {}

    static Result round(
            RedisClusterAsyncCommands<String, String> conn,
            List<String> keys,
            List<String> from,
            Duration timeout,
            Apply apply)
            throws InterruptedException {
        List<CompletableFuture<List<StreamMessage<String, String>>>> calls = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            calls.add(conn.xread(
                            XReadArgs.Builder.count(1000),
                            Redis.offsets(List.of(XReadArgs.StreamOffset.from(keys.get(i), from.get(i)))))
                    .toCompletableFuture());
        }
        boolean any = false;
        java.util.Set<Integer> failed = new java.util.HashSet<>();
        long deadline = System.nanoTime() + timeout.toNanos() + 500_000_000L; // the command timeout fires first
        for (int i = 0; i < calls.size(); i++) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                for (StreamMessage<String, String> m : calls.get(i).get(left, TimeUnit.NANOSECONDS)) {
                    any |= apply.apply(i, m);
                }
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                failed.add(i);
            }
        }
        return new Result(any, failed);
    }
}
