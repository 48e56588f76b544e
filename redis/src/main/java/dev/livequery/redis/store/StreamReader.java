package dev.livequery.redis.store;

import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Reads one stream with {@code XREAD BLOCK}, in order, on a connection of its own (a blocked read
 * would stall every other command on Lettuce's shared connection), and remembers how far it got.
 * The shard's control reader and the gateway's delivery reader are both this loop; they differ
 * only in what they do with a batch and with a failure.
 *
 * <p>A failed read (Redis down, command timeout) is retried from the same position after a pause,
 * so nothing is skipped; the caller hears of each failure (to mark its windows stale, say).
 */
public final class StreamReader {
    private final RedisClusterCommands<String, String> conn;
    private final String key;
    private final XReadArgs args;
    private final Duration retry;
    private volatile String position;

    /**
     * @param from  the id after which to start ({@code 0-0} for the whole stream)
     * @param block how long one read waits for entries; must stay under the connection's timeout
     * @param count at most this many entries per read
     * @param retry the pause after a failed read
     */
    public StreamReader(Redis redis, String key, String from, Duration block, int count, Duration retry) {
        if (block.compareTo(redis.timeout()) >= 0) {
            throw new IllegalArgumentException("BLOCK " + block + " must be shorter than the command timeout "
                    + redis.timeout() + ", or every idle read fails");
        }
        this.conn = redis.dedicated();
        this.key = key;
        this.args = XReadArgs.Builder.block(block.toMillis()).count(count);
        this.retry = retry;
        this.position = from;
    }

    /** The id of the last entry read (or the start position). */
    public String position() {
        return position;
    }

    /**
     * Reads until {@code running} turns false. Each entry goes to {@code onEntry} in order, the
     * position moving to it first (an entry whose handling throws is not read again; the rest of
     * its batch is); {@code afterRead} hears of every successful read with its number of entries
     * (also 0, which says Redis answered). Every failure while running goes to {@code onFailure},
     * then the read is retried from the same position after the pause.
     */
    public void run(
            BooleanSupplier running,
            Consumer<StreamMessage<String, String>> onEntry,
            IntConsumer afterRead,
            Consumer<RuntimeException> onFailure) {
        while (running.getAsBoolean()) {
            try {
                List<StreamMessage<String, String>> ms =
                        conn.xread(args, Redis.offsets(List.of(XReadArgs.StreamOffset.from(key, position))));
                for (StreamMessage<String, String> m : ms) {
                    position = m.getId();
                    onEntry.accept(m);
                }
                afterRead.accept(ms.size());
            } catch (RuntimeException e) {
                if (!running.getAsBoolean()) {
                    return;
                }
                onFailure.accept(e);
                LockSupport.parkNanos(retry.toNanos());
            }
        }
    }

    /** Deletes the entries with ids below {@code minId} ({@code XTRIM MINID}); for a stream only this reader reads. */
    public void trimBefore(String minId) {
        conn.xtrim(key, XTrimArgs.Builder.minId(minId));
    }

    /** The smallest id after {@code id}: trimming before it deletes {@code id} too. */
    public static String after(String id) {
        int dash = id.indexOf('-');
        return id.substring(0, dash + 1) + (Long.parseLong(id.substring(dash + 1)) + 1);
    }
}
