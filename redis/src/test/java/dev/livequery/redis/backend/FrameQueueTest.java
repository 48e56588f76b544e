package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A subscription's queue of frames for its client. An overflow drops the shard's frames (the
 * client gets {@code reset overflow} and a fresh snapshot), but what the client was last told of
 * staleness must still reach it: the gateway tells each status once ({@link Staleness}), so a
 * dropped {@code live} leaves the client stale for good, a dropped {@code stale} leaves it
 * unwarned while it may be behind.
 */
class FrameQueueTest {
    static final int MAX = 4;

    final FrameQueue queue = new FrameQueue(null, () -> {}, MAX);

    @Test
    void aLiveQueuedBeforeAnOverflowStillReachesTheClient() throws Exception {
        queue.offerLocal(Frame.status(Frame.Status.State.STALE));
        assertThat(ops(drain())).containsExactly("status:stale"); // the client holds "stale"
        queue.offerLocal(Frame.status(Frame.Status.State.LIVE)); // served again
        assertThat(queue.offer(changes(MAX + 1))).as("overflowed").isFalse();
        assertThat(ops(drain())).containsExactly("status:live");
        assertThat(queue.resumeFrom())
                .as("nothing to resume from: a fresh snapshot")
                .isEmpty();
    }

    @Test
    void aStaleQueuedBeforeAnOverflowStillReachesTheClient() throws Exception {
        assertThat(queue.offer(changes(2))).isTrue();
        queue.offerLocal(Frame.status(Frame.Status.State.STALE));
        assertThat(queue.offer(changes(MAX))).as("overflowed").isFalse();
        assertThat(ops(drain())).containsExactly("status:stale");
    }

    @Test
    void onlyTheLastStatusIsKept() throws Exception {
        queue.offerLocal(Frame.status(Frame.Status.State.STALE));
        assertThat(queue.offer(changes(1))).isTrue();
        queue.offerLocal(Frame.status(Frame.Status.State.LIVE));
        assertThat(queue.offer(changes(MAX))).as("overflowed").isFalse();
        assertThat(ops(drain())).containsExactly("status:live");
    }

    @Test
    void anOverflowWithNoStatusQueuedLeavesNothing() throws Exception {
        assertThat(queue.offer(changes(MAX + 1))).isFalse();
        assertThat(drain()).isEmpty();
        assertThat(queue.size()).isZero();
    }

    private List<Frame> drain() {
        List<Frame> out = new ArrayList<>();
        queue.drain(out, Integer.MAX_VALUE);
        return out;
    }

    private static List<String> ops(List<Frame> fs) {
        return fs.stream()
                .map(f -> f instanceof Frame.Status s
                        ? "status:" + s.state().name().toLowerCase()
                        : f.op().name().toLowerCase())
                .toList();
    }

    /** {@code n} leave frames, as a shard's batch carries them. */
    private static List<Frame> changes(int n) throws Exception {
        List<Frame> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(FrameCodec.decode(
                    "{\"op\":\"leave\",\"id\":\"r" + i + "\",\"version\":1,\"old_index\":0,\"eid\":\"e" + i + "\"}"));
        }
        return out;
    }
}
