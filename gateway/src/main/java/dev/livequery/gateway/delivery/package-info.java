/**
 * Getting frames from the backend to sockets without letting any socket slow anything else down.
 *
 * <p>Why it looks like this: the backend keeps one bounded queue per subscription and turns an
 * overflow into {@code reset overflow} itself, so the gateway adds no second data queue that could
 * grow. Per connection there is exactly one writer (a virtual thread started on demand for a
 * WebSocket, the request's thread for SSE) and a ready list of subscriptions that have frames. The backend's wakeup may run under engine locks, so all it does
 * is enqueue a {@link dev.livequery.gateway.delivery.Slot} and unpark the writer. The writer drains
 * ready subscriptions round-robin in turns of a few dozen frames, writes them, then flushes once.
 *
 * <p>Helidon's socket writes have no timeout. The {@link dev.livequery.gateway.delivery.Connections}
 * watchdog therefore watches the start time of the write in progress and, past
 * {@code livequery.write-deadline}, marks the connection closing ({@code 4008}); a writer still
 * blocked after a short grace is interrupted, and a virtual thread interrupted in a socket write
 * has its socket closed by the JDK, which frees the writer. Only that connection is affected: the
 * engine never waited for it.
 *
 * <p>The pieces: {@link dev.livequery.gateway.delivery.Outbound} runs one connection's writer and
 * ends the connection; {@code Writes} is what one pass of it writes
 * (a due pong or keep-alive, the bounded replies, then each ready slot's frames, a turn each, one
 * flush); {@code Slots} are the connection's subscriptions by
 * {@code sub}; {@link dev.livequery.gateway.delivery.Transport} is the WebSocket or SSE side the
 * writer writes to; {@link dev.livequery.gateway.delivery.Close} and
 * {@link dev.livequery.gateway.delivery.Teardown} say why a connection ended (close code, reason,
 * {@code livequery_teardowns_total{cause}}); {@link dev.livequery.gateway.delivery.DeliveryMetrics}
 * is what the path reports.
 */
package dev.livequery.gateway.delivery;
