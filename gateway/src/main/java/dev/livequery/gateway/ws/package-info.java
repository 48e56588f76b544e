/**
 * {@code GET /v1/ws}: many subscriptions per WebSocket (PROTOCOL §4).
 *
 * <p>Threading: Helidon calls the listener on the connection's reader thread, one message at a
 * time, so commands of one connection never race each other. Every byte sent goes through the
 * connection's {@link dev.livequery.gateway.delivery.Outbound} writer: Helidon's session is not safe
 * for concurrent sends, and a reader that wrote replies itself could be blocked by a peer that does
 * not read. Pings from the peer are answered by the writer for the same reason (Helidon's default
 * listener ignores them).
 *
 * <p>A bad command is answered with an {@code error} frame naming the {@code sub}; the connection
 * stays open, because one wrong message should not cost a client all its other windows.
 *
 * <p>{@link dev.livequery.gateway.ws.WsEndpoint} makes a {@code LiveSocket} per connection, which
 * checks its {@code Origin} with {@link dev.livequery.gateway.ws.OriginPolicy} (a refused one is
 * closed at once with 1008), parses each message with {@code WsCommand} and runs it;
 * {@code WsTransport} frames a writer pass's messages into one socket write.
 */
package dev.livequery.gateway.ws;
