package dev.livequery.gateway.delivery;

import java.io.IOException;

/**
 * The socket side of one connection, as the writer sees it. Only the connection's writer thread
 * calls these methods, one at a time: Helidon's WebSocket session and the response stream are not
 * safe to share between threads.
 */
public interface Transport {
    /** {@code ws} or {@code sse}: a metrics tag and a log word. */
    String kind();

    /** Writes one frame; {@code eid} is null for frames that do not change a window. May buffer. */
    void write(String json, String eid) throws IOException;

    /** Pushes what {@link #write} buffered to the socket. */
    void flush() throws IOException;

    /** Keeps an idle connection alive: a WebSocket ping, an SSE heartbeat event. */
    void keepAlive() throws IOException;

    /** Answers a transport-level ping (WebSocket); nothing for transports without one. */
    default void pong() throws IOException {
    }

    /**
     * Ends the connection after the writer stopped writing; best effort, must not throw. Not called
     * when the peer closed first or the socket was aborted.
     */
    void finish(Close close);
}
