package dev.livequery.shard.cluster;

import dev.livequery.core.Subscription;
import dev.livequery.redis.cluster.Delivery;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** One attachment a gateway made here: its subscription in the partition's engine. */
final class Hosted {
    final String gw;
    final String sid;
    final String att;
    final int p;
    final AtomicBoolean queued = new AtomicBoolean();
    final AtomicLong batches = new AtomicLong();
    volatile Subscription sub;
    volatile boolean closed;
    /** A drained batch whose publish failed, sent again before anything newer (publisher thread only). */
    Delivery.Frames unsent;
    /** When the engine made the oldest frame of {@link #unsent}. */
    long unsentMade;

    Hosted(String gw, String sid, String att, int p) {
        this.gw = gw;
        this.sid = sid;
        this.att = att;
        this.p = p;
    }

    String key() {
        return key(gw, sid);
    }

    /** The key of a gateway's subscription, as {@code hosted} (and the waiting subscribes) file it. */
    static String key(String gw, String sid) {
        return gw + "/" + sid;
    }
}
