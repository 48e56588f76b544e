package dev.livequery.gateway.delivery;

import dev.livequery.core.Frame;
import java.io.IOException;

/**
 * The socket side of one connection, as the writer sees it. Only the connection's writer calls
 * these methods, one at a time: Helidon's WebSocket session and the response stream are not safe
 * to share between threads.
 *
 * <p>Writes may buffer; {@link #flush()} pushes what a writer pass queued to the socket, ideally
 * in one socket write.
 */
public interface Transport {
    /** The two transports; {@link #wire()} is the metrics tag and log word. */
    enum Kind {
        WS("ws"),
        SSE("sse");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    Kind kind();

    /**
     * Writes one frame; {@code subMember} is {@link dev.livequery.core.FrameCodec#subMember} of the subscription's id (WebSocket)
     * or null (SSE). Returns the bytes of JSON written. May buffer.
     */
    int write(Frame frame, byte[] subMember) throws IOException;

    /** Writes one ready-made frame that changes no window (pong, error, closed). May buffer. */
    void write(String json) throws IOException;

    /** Pushes what {@link #write} buffered to the socket. */
    void flush() throws IOException;

    /** Keeps an idle connection alive: a WebSocket ping, an SSE heartbeat event. May buffer. */
    void keepAlive() throws IOException;

    /** Answers a transport-level ping (WebSocket); nothing for transports without one. May buffer. */
    default void pong() throws IOException {}

    /**
     * Ends the connection after the writer stopped writing: drops what was not flushed, then sends
     * the close (WebSocket close frame, end of the SSE stream). Best effort, must not throw. Not
     * called when the peer closed first or the socket was aborted.
     */
    void finish(Close close);
}
