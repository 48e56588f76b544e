package dev.livequery.gateway.delivery;

/**
 * Why a connection ended, as a closed set: {@link #wire()} is the text an operator reads in the
 * log line and in {@code livequery_teardowns_total{cause}}, so it must not change.
 */
public enum Teardown {
    CLIENT_CLOSED("client_closed"),
    SHUTDOWN("shutdown"),
    SLOW_CONSUMER("slow_consumer"),
    REPLY_FLOOD("reply_flood"),
    IDLE("idle"),
    TOO_MANY_CONNECTIONS("too_many_connections"),
    CLIENT_GONE("client_gone"),
    WRITE_FAILED("write_failed"),
    STREAM_END("stream_end"),
    TOKEN_EXPIRED("token_expired"),
    UNAUTHORIZED("unauthorized"),
    AUTH_FLOOD("auth_flood"),
    ERROR("error");

    private final String wire;

    Teardown(String wire) {
        this.wire = wire;
    }

    /** The metric label value and log word. */
    public String wire() {
        return wire;
    }
}
