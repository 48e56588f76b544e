package dev.livequery.core;

/**
 * A refused request, carrying the protocol's error code. Messages are written for the person
 * who sent the request: they name the offending field and what would have been accepted.
 */
public final class LiveQueryException extends Exception {
    /** Error codes of PROTOCOL §4 and §7, each with the HTTP status it maps to. */
    public enum Code {
        BAD_REQUEST(400),
        BAD_QUERY(400),
        UNKNOWN_TABLE(404),
        UNKNOWN_SUB(400),
        DUPLICATE_SUB(409),
        TOO_MANY_SUBS(429),
        TOO_LARGE(413),
        NOT_FOUND(404),
        VERSION_MISMATCH(412),
        UNSUPPORTED_MEDIA_TYPE(415),
        UNAVAILABLE(503),
        /** A write that kept losing a race (If-Match: * retried past its bound). */
        CONFLICT(409),
        /** PROTOCOL §9: no valid token. */
        UNAUTHORIZED(401),
        /** PROTOCOL §9: a rule denies. */
        FORBIDDEN(403),
        /** PROTOCOL §9: a per-principal quota is exhausted. */
        RATE_LIMITED(429),
        /** An Idempotency-Key sent again with a different request (docs/protocol.md). */
        IDEMPOTENCY_KEY_REUSED(422);

        private final int httpStatus;

        Code(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        /** The wire spelling, e.g. {@code bad_query}. */
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The code with that wire spelling, or null. */
        public static Code fromWire(String wire) {
            for (Code c : values()) {
                if (c.wire().equals(wire)) {
                    return c;
                }
            }
            return null;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Code code;

    public LiveQueryException(Code code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public Code code() {
        return code;
    }
}
