/**
 * {@code GET /v1/live/{table}}: one subscription as Server-Sent Events for a plain browser
 * {@code EventSource} (PROTOCOL §5).
 *
 * <p>Why the stream is written by hand instead of through Helidon's {@code SseSink}: the sink has no
 * {@code retry:} field and writes every event straight to the socket. Writing {@code id:}/
 * {@code data:} lines into a buffered stream over Helidon's chunked response lets the connection's
 * writer put a whole batch of frames on the wire with one flush, and send {@code retry: 1000}
 * first. Heartbeats are named events (never comment-only ones), as the protocol says.
 *
 * <p>Threading: the request's handler thread becomes the connection's writer and stays in
 * {@link dev.livequery.gateway.delivery.Outbound#run()} until the stream ends. HTTP/1 does not read
 * the socket while a handler runs, so a client that went away is noticed at the next write; the
 * heartbeat bounds how long that takes. Everything the client needs to continue is in the last
 * {@code id:}; the browser sends it back as {@code Last-Event-ID}.
 *
 * <p>{@link dev.livequery.gateway.sse.SseEndpoint} checks everything that can fail before the 200
 * (so errors are JSON) and runs the writer; {@code SseTransport} writes a
 * pass's events in one buffer and one flush.
 */
package dev.livequery.gateway.sse;
