/**
 * A bare Vert.x WebSocket broadcast server, the framework floor {@code bench/run} measures
 * livequery's fan-out against: it does no query, keeps no state and encodes nothing per client,
 * so the gap between the two is what livequery's per-delivery work costs. Built and started by
 * {@code bench/peers/vertx/start.sh}, outside the Maven reactor.
 */
package dev.livequery.peers.vertx;
