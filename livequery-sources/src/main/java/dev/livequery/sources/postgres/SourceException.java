package dev.livequery.sources.postgres;

/**
 * A source that cannot start or cannot go on, with a code an operator can search for. The
 * message is one line that names the table, column or setting to fix.
 */
public final class SourceException extends Exception {
    /** What went wrong; {@link #wire()} is the code printed in front of the message. */
    public enum Code {
        BAD_CONFIG,
        UNREACHABLE,
        NOT_LOGICAL,
        NO_SUCH_TABLE,
        NOT_IN_PUBLICATION,
        NO_PRIMARY_KEY,
        ID_NOT_KEY,
        /** A non-key column named {@code id}: the livequery row id would hide it. */
        ID_SHADOWED,
        /** Replica identity other than DEFAULT (with the primary key) or FULL: deletes would lose their id. */
        REPLICA_IDENTITY,
        /** An existing publication that would not send every change of a fed table. */
        BAD_PUBLICATION,
        UNMAPPABLE_TYPE,
        UNMAPPABLE_VALUE,
        SLOT_IN_USE,
        /** The slot is gone or no longer holds the changes after the source's position: they are lost to it. */
        SLOT_LOST;

        public String wire() {
            return "source_" + name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Code code;

    public SourceException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public SourceException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    /** {@code source_<code>: <message>}, the one line a failed start prints. */
    public String line() {
        return line(code, getMessage());
    }

    /** The line a {@code SourceException} of {@code code} and {@code message} prints. */
    static String line(Code code, String message) {
        return code.wire() + ": " + message;
    }
}
