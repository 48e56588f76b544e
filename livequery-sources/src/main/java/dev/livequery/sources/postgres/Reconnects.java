package dev.livequery.sources.postgres;

import java.io.EOFException;
import java.net.SocketException;
import java.sql.SQLException;
import java.util.function.Predicate;

/**
 * Which engine failures are a lost or refused connection (rebuild the engine and resume) and how
 * long to wait before each attempt. Anything else (a value without a JSON form, a table gone)
 * keeps the source failed: retrying would fail the same way.
 */
final class Reconnects {
    static final long FIRST_DELAY_MS = 500;
    static final long MAX_DELAY_MS = 10_000;

    private Reconnects() {}

    /** Whether {@code err} or one of its causes says Postgres could not be reached. */
    static boolean retriable(Throwable err) {
        return anyCause(
                err,
                t -> t instanceof SQLException sql && connectionState(sql.getSQLState())
                        || t instanceof SQLException
                                && String.valueOf(t.getMessage()).contains("connection attempt failed")
                        // A rebuilt engine validates its config first, by connecting; when Postgres is still
                        // down, shutting down or starting up, that fails as a DebeziumException that carries
                        // PgJDBC's message but not its cause. The same config was valid when the source
                        // started, so this is the connection (each attempt logs the message).
                        || t instanceof io.debezium.DebeziumException
                                && String.valueOf(t.getMessage()).startsWith("Connector configuration is not valid")
                        || t instanceof EOFException
                        || t instanceof SocketException
                        || t instanceof java.net.SocketTimeoutException
                        || t instanceof org.apache.kafka.connect.errors.RetriableException);
    }

    /**
     * Whether {@code err} is Debezium refusing to resume because the slot no longer holds the
     * offset's position (dropped, invalidated, or moved past it): nothing a retry cures.
     */
    static boolean positionGone(Throwable err) {
        return anyCause(
                err, t -> String.valueOf(t.getMessage()).contains("but this is no longer available on the server"));
    }

    /** Whether {@code err} or one of its causes is {@code what}. */
    private static boolean anyCause(Throwable err, Predicate<Throwable> what) {
        for (Throwable t = err; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (what.test(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Class 08: connection exceptions; 57P01..57P03: shut down by an administrator, crash,
     * "the database system is starting up"; 55006: our own slot still held by the walsender of
     * the lost connection, until Postgres notices it is gone.
     */
    private static boolean connectionState(String state) {
        return state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("55006"));
    }

    /** 0.5 s doubling to 10 s: quick after a blip, and a down server is not hammered. */
    static long delayMillis(int attempt) {
        long d = FIRST_DELAY_MS << Math.min(Math.max(attempt - 1, 0), 10);
        return Math.min(d, MAX_DELAY_MS);
    }

    /** The innermost message, which is what says why (the outer ones are Debezium's wrappers). */
    static String rootMessage(Throwable err) {
        Throwable t = err;
        while (t != null && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t == null) {
            return "no cause given";
        }
        // EOFException has no message; its wrapper says "The connection attempt failed."
        Throwable named = t;
        for (Throwable c = err; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLException) {
                named = c;
            }
        }
        return named.getClass().getSimpleName() + ": " + named.getMessage();
    }
}
