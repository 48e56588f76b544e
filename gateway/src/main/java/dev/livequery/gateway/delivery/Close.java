package dev.livequery.gateway.delivery;

/**
 * Why a connection ended: the cause an operator reads in the log line and in
 * {@code livequery_teardowns_total{cause}}, the WebSocket close code of PROTOCOL §4, and the
 * reason text a client sees in the close frame.
 */
public record Close(String cause, int code, String reason) {
    public static final Close CLIENT = new Close("client_closed", 1000, "bye");
    public static final Close SHUTDOWN = new Close("shutdown", 1001, "server shutting down");
    public static final Close SLOW_CONSUMER = new Close("slow_consumer", 4008, "write deadline passed");
    public static final Close FLOODED = new Close("reply_flood", 4008, "too many replies waiting: read your socket");
    public static final Close IDLE = new Close("idle", 1000, "peer silent too long");
    public static final Close TOO_MANY = new Close("too_many_connections", 4029, "too many connections");
    public static final Close GONE = new Close("client_gone", 1006, "connection lost");
    public static final Close WRITE_FAILED = new Close("write_failed", 1011, "write failed");
    public static final Close STREAM_END = new Close("stream_end", 1000, "stream ended");
}
