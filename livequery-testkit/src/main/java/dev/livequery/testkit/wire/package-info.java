/**
 * Protocol clients of a gateway over the real wire (PROTOCOL §4 WebSocket, §5 Server-Sent Events), for the
 * gateway's end-to-end tests. Each applies the frames it receives to the kit's
 * {@link dev.livequery.testkit.Replica}, which fails on a frame that does not fit.
 *
 * <ul>
 *   <li>{@link dev.livequery.testkit.wire.WsClient}: a {@code java.net.http} WebSocket with a
 *       replica per sub and a log of every frame.
 *   <li>{@link dev.livequery.testkit.wire.SseClient}: an EventSource-like reader of
 *       {@code /v1/live/{table}} that remembers {@code id:} lines and can hang up after exactly N frames.
 *   <li>{@link dev.livequery.testkit.wire.RawWs}: a WebSocket done by hand on a socket, for what
 *       {@code java.net.http} will not do: read slowly, never read, send raw frames, see close
 *       codes.
 * </ul>
 */
package dev.livequery.testkit.wire;
