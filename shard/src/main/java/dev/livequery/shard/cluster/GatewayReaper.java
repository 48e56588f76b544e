package dev.livequery.shard.cluster;

import dev.livequery.redis.cluster.Wire;
import dev.livequery.redis.store.Keys;
import dev.livequery.redis.store.Redis;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Forgets gateways that are gone (their heartbeat expired): closes the attachments they had here
 * and deletes their delivery stream and registration, so a crashed gateway leaves nothing behind
 * in Redis. Also closes the attachments of an earlier process of a gateway that restarted under
 * the same id ({@link #sweep}). A gateway that was only paused notices its expiry when it wakes
 * ({@code SET … GET} on its heartbeat) and re-attaches everything. On the main thread.
 */
final class GatewayReaper {
    private static final Logger LOG = Logger.getLogger(GatewayReaper.class.getName());

    private final String shardId;
    private final Redis redis;
    private final Map<String, Hosted> hosted;
    private final Consumer<Hosted> close;

    GatewayReaper(String shardId, Redis redis, Map<String, Hosted> hosted, Consumer<Hosted> close) {
        this.shardId = shardId;
        this.redis = redis;
        this.hosted = hosted;
        this.close = close;
    }

    /** Every few main ticks: attachments of gateways without a heartbeat, then their leftovers. */
    void sweep() {
        dropOrphans();
        deleteDeadGateways();
    }

    /**
     * Closes the attachments of gateways whose heartbeat expired, and those of an earlier process
     * of a gateway that is alive: one with a stable id that crashed and came back within its
     * heartbeat TTL never looked dead, and its earlier process's attachments of quiet windows
     * send no frame that would get them dropped as strays. Left here they would count in every
     * tick as the new process's, and hide from its count check an attachment dropped without a
     * word (its window then frozen, the ticks telling it live). The heartbeat holds the
     * incarnation of the process that writes it, and every attachment id names its own.
     */
    private void dropOrphans() {
        Map<String, Optional<String>> alive = new HashMap<>();
        for (Hosted h : List.copyOf(hosted.values())) {
            String incarnation = alive.computeIfAbsent(
                            h.gw, g -> Optional.ofNullable(redis.cmd().get(Keys.gatewayAlive(g))))
                    .orElse(null);
            if (incarnation == null) {
                LOG.info(
                        () -> "shard " + shardId + ": gateway " + h.gw + " is gone; closing its subscription " + h.sid);
                close.accept(h);
            } else if (Wire.ofEarlierProcess(h.gw, h.att, incarnation)) {
                LOG.info(() -> "shard " + shardId + ": attachment " + h.att + " of " + h.sid + " is of an earlier"
                        + " process of gateway " + h.gw + " (now " + incarnation + "); closing it");
                close.accept(h);
            }
        }
    }

    /**
     * Deletes the delivery stream and registration of every gateway whose heartbeat expired
     * (within its heartbeat TTL plus a few ticks).
     */
    private void deleteDeadGateways() {
        for (String gw : redis.cmd().smembers(Keys.GATEWAYS)) {
            if (redis.cmd().exists(Keys.gatewayAlive(gw)) == 0) {
                redis.cmd().del(Keys.delivery(gw));
                redis.cmd().srem(Keys.GATEWAYS, gw);
                LOG.info(() -> "shard " + shardId + ": gateway " + gw + " is gone; deleted its delivery stream");
            }
        }
    }

    /** The publisher found the gateway's heartbeat expired: close its attachments now. */
    void gone(String gw) {
        int n = 0;
        for (Hosted h : List.copyOf(hosted.values())) {
            if (h.gw.equals(gw)) {
                close.accept(h);
                n++;
            }
        }
        int closed = n;
        LOG.info(() -> "shard " + shardId + ": gateway " + gw + " is gone (heartbeat expired); closed its " + closed
                + " subscriptions");
    }
}
