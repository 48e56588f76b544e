package dev.livequery.gateway.delivery;

/**
 * Why a connection ended: the cause an operator reads in the log line and in
 * {@code livequery_teardowns_total{cause}}, the WebSocket close code of PROTOCOL §4, and the
 * reason text a client sees in the close frame.
 */
public record Close(Teardown cause, int code, String reason) {
    public static final Close CLIENT = new Close(Teardown.CLIENT_CLOSED, 1000, "bye");
    public static final Close SHUTDOWN = new Close(Teardown.SHUTDOWN, 1001, "server shutting down");
    public static final Close SLOW_CONSUMER = new Close(Teardown.SLOW_CONSUMER, 4008, "write deadline passed");
    public static final Close FLOODED =
            new Close(Teardown.REPLY_FLOOD, 4008, "too many replies waiting: read your socket");
    public static final Close IDLE = new Close(Teardown.IDLE, 1000, "peer silent too long");
    public static final Close TOO_MANY = new Close(Teardown.TOO_MANY_CONNECTIONS, 4029, "too many connections");
    public static final Close GONE = new Close(Teardown.CLIENT_GONE, 1006, "connection lost");
    public static final Close WRITE_FAILED = new Close(Teardown.WRITE_FAILED, 1011, "write failed");
    public static final Close STREAM_END = new Close(Teardown.STREAM_END, 1000, "stream ended");
}
