package dev.livequery.shard;

import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.core.Json;
import dev.livequery.core.Subscription;
import dev.livequery.testkit.Replica;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A protocol client of an in-process gateway: drains its subscription and applies every frame,
 * as its wire JSON, to the test kit's {@link Replica} (which throws on a frame that does not fit).
 */
final class Client {
    /** What the tests compare windows by. */
    record Item(String id, long version) {}

    final Subscription sub;
    final Replica replica;
    /** Every frame drained, for checks on the frames themselves. */
    final List<Frame> all = new ArrayList<>();

    /** Statuses told to the subscription a resumed client came from: they say nothing of this one. */
    private final int inheritedStatuses;

    Client(Subscription sub) {
        this(sub, new Replica());
    }

    private Client(Subscription sub, Replica start) {
        this.sub = sub;
        this.replica = start;
        this.inheritedStatuses = start.statuses().size();
    }

    /** A client that resumes on {@code sub} holding what {@code held} holds (its window and record). */
    static Client resuming(Subscription sub, Client held) {
        return new Client(sub, held.replica.copy());
    }

    /** Drains and applies what is queued; returns this for chaining in awaits. */
    synchronized Client poll() {
        List<Frame> fs = new ArrayList<>();
        sub.drain(fs, Integer.MAX_VALUE);
        for (Frame f : fs) {
            all.add(f);
            try {
                replica.apply(Json.MAPPER.readTree(FrameCodec.encoded(f)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    List<Item> window() {
        return replica.items().stream().map(i -> new Item(i.id(), i.version())).toList();
    }

    List<String> resets() {
        return replica.resetCauses();
    }

    List<String> statuses() {
        return replica.statuses();
    }

    /** Told {@code status stale} and not {@code live} since, on this subscription. */
    boolean staleNow() {
        return replica.statuses().size() > inheritedStatuses && replica.stale();
    }

    boolean ready() {
        return replica.ready();
    }

    int resumedReadies() {
        return replica.resumedReadies();
    }

    String lastEid() {
        return replica.lastEid();
    }

    List<String> violations() {
        return replica.violations();
    }
}
