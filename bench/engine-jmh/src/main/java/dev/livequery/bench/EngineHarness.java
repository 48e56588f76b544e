package dev.livequery.bench;

import dev.livequery.core.Backend;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LocalBackend;
import dev.livequery.core.Query;
import dev.livequery.core.QueryResult;
import dev.livequery.core.Subscription;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine side: a {@link LocalBackend} with default options, the workload's rows, and its
 * subscriptions. Each subscription's wakeup (called when its queue goes from empty to non-empty,
 * as a transport's writer would be woken) files it in a dirty list; after each put the harness
 * drains exactly those subscriptions, the way a gateway's writers would.
 */
final class EngineHarness {
    final LocalBackend backend;
    final Workload workload;
    final List<Subscription> subs = new ArrayList<>();
    final List<String> subIds = new ArrayList<>();
    final List<Frame> buf = new ArrayList<>(256);
    /** Woken subscriptions; a separate object so that wakeup lambdas do not keep the harness reachable. */
    private final Dirty woken = new Dirty();
    /** Subscriptions woken by the last change (set by {@link #drainDirty}). */
    int lastWoken;

    EngineHarness(Workload workload) throws LiveQueryException {
        this(workload, EngineOptions.defaults());
    }

    EngineHarness(Workload workload, EngineOptions options) throws LiveQueryException {
        this.workload = workload;
        this.backend = new LocalBackend(options);
        for (int r = 0; r < Workload.ROWS; r++) {
            backend.put(Workload.TABLE, workload.ids[r], workload.initial[r], null);
        }
    }

    /** Subscribes the workload's windows {@code from..to-1} for every shape and drains the snapshots. */
    void subscribe(int from, int to, FrameSink sink) throws LiveQueryException {
        for (int shape = 0; shape < Workload.CATS; shape++) {
            subscribe(backend, shape, from, to, subs, subIds, woken);
        }
        drainDirty(sink);
    }

    /**
     * Subscribes windows {@code from..to-1} of one shape on {@code b}; cursors come from a
     * one-shot query of the view as it is now.
     */
    static void subscribe(
            Backend b,
            int shape,
            int from,
            int to,
            List<Subscription> subs,
            List<String> subIds,
            java.util.function.IntConsumer wake)
            throws LiveQueryException {
        QueryResult top = b.query(Query.parse(Workload.query(shape, 1000, null, null)));
        for (int w = from; w < to; w++) {
            String cursor =
                    Workload.KIND[w] == Workload.Kind.TOP ? null : top.cursors().get(Workload.POS[w]);
            Query q = Query.parse(Workload.query(
                    shape,
                    Workload.LIMIT,
                    Workload.KIND[w] == Workload.Kind.AFTER ? cursor : null,
                    Workload.KIND[w] == Workload.Kind.BEFORE ? cursor : null));
            int index = subs.size();
            subs.add(b.subscribe(q, null, () -> wake.accept(index)));
            subIds.add("s" + index);
        }
    }

    private static final class Dirty implements java.util.function.IntConsumer {
        int[] subs = new int[64];
        int count;

        @Override
        public void accept(int sub) {
            if (count == subs.length) {
                subs = java.util.Arrays.copyOf(subs, count * 2);
            }
            subs[count++] = sub;
        }
    }

    /** One change: the put, then every woken subscription drained. Returns a checksum of what was read. */
    long change(boolean encode) throws LiveQueryException {
        if (encode) {
            workload.next();
            backend.put(Workload.TABLE, workload.id, workload.data, null);
            return drainEncoding();
        }
        return change(null);
    }

    /** One change, frames passed to {@code sink} (may be null). */
    long change(FrameSink sink) throws LiveQueryException {
        workload.next();
        backend.put(Workload.TABLE, workload.id, workload.data, null);
        return drainDirty(sink);
    }

    /**
     * Drains the woken subscriptions and reads each frame's op and indexes (engine only: no eid,
     * cursor or JSON). {@code sink}, if not null, gets (sub, frame) for checking.
     */
    long drainDirty(FrameSink sink) {
        int[] dirty = woken.subs;
        int dirtyCount = woken.count;
        lastWoken = dirtyCount;
        long sum = 0;
        for (int i = 0; i < dirtyCount; i++) {
            int s = dirty[i];
            buf.clear();
            subs.get(s).drain(buf, 1024);
            for (int k = 0, n = buf.size(); k < n; k++) {
                Frame f = buf.get(k);
                sum += f.op().ordinal() + indexes(f);
                if (sink != null) {
                    sink.accept(s, f);
                }
            }
        }
        woken.count = 0;
        return sum;
    }

    /** Same, but every delivered frame is encoded with {@link FrameCodec#toJson} (eid + cursor HMACs, row JSON). */
    long drainEncoding() {
        int[] dirty = woken.subs;
        int dirtyCount = woken.count;
        long sum = 0;
        for (int i = 0; i < dirtyCount; i++) {
            int s = dirty[i];
            buf.clear();
            subs.get(s).drain(buf, 1024);
            String sid = subIds.get(s);
            for (int k = 0, n = buf.size(); k < n; k++) {
                sum += FrameCodec.toJson(buf.get(k), sid).length();
            }
        }
        woken.count = 0;
        return sum;
    }

    /** The frame's indexes, summed so the work is not optimized away (-1 for an index it has not). */
    private static int indexes(Frame f) {
        return switch (f) {
            case Frame.Move m -> m.oldIndex() + m.newIndex();
            case Frame.Placed p -> p.newIndex() - 1;
            case Frame.Leave l -> l.oldIndex() - 1;
            default -> -2;
        };
    }

    interface FrameSink {
        void accept(int sub, Frame f);
    }
}
