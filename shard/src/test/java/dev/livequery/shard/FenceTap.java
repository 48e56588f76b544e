package dev.livequery.shard;

import dev.livequery.redis.store.Redis;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads a gateway's delivery stream alongside the gateway (which keeps what it read for 30 s,
 * so nothing is trimmed before this sees it) and checks the fencing promise: per partition, the
 * frames entries carry lease fences that never go down. A shard that lost a lease and published
 * under it anyway (a paused owner waking up) would put an old fence after a newer one.
 */
final class FenceTap implements AutoCloseable {
    private final Redis redis;
    private final String key;
    private final Map<Integer, Long> fences = new HashMap<>();
    private final Map<Integer, Set<String>> holders = new HashMap<>();
    private final List<String> violations = new ArrayList<>();
    private volatile boolean running = true;
    private final Thread thread;
    private String last = "0-0";

    FenceTap(Redis redis, String deliveryKey) {
        this.redis = redis;
        this.key = deliveryKey;
        thread = new Thread(this::run, "fence-tap");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                read();
            } catch (RuntimeException redisBusy) {
                // the next round reads from the same position
            }
            LockSupport.parkNanos(100_000_000L); // the polling period
        }
    }

    private synchronized void read() {
        List<StreamMessage<String, String>> ms =
                redis.cmd().xrange(key, Range.from(Range.Boundary.excluding(last), Range.Boundary.unbounded()));
        for (StreamMessage<String, String> m : ms) {
            last = m.getId();
            Map<String, String> b = m.getBody();
            if (!"f".equals(b.get("k"))) {
                continue;
            }
            int p = Integer.parseInt(b.get("p"));
            String lease = b.get("lease");
            int colon = lease.lastIndexOf(':');
            long fence = Long.parseLong(lease.substring(colon + 1));
            Long before = fences.put(p, fence);
            if (before != null && fence < before) {
                violations.add("partition " + p + ": frames under " + lease + " after fence " + before + " ("
                        + m.getId() + ")");
                fences.put(p, before);
            }
            holders.computeIfAbsent(p, x -> new TreeSet<>()).add(lease.substring(0, colon));
        }
    }

    /** Reads what is left, then answers the fence violations seen (none if the fence held). */
    synchronized List<String> violations() {
        read();
        return List.copyOf(violations);
    }

    /** The holders ({@code shard/incarnation}) that published frames of partition {@code p}. */
    synchronized Set<String> holders(int p) {
        return Set.copyOf(holders.getOrDefault(p, Set.of()));
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
    }
}
