package dev.livequery.sources.postgres;

import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Debezium and Kafka Connect log every setting and state change at INFO (a converter its whole
 * configuration as it is built); our own lines say what an operator needs. {@link #quiet} sets
 * their loggers to WARNING, and is called before the first use of their classes: where an engine
 * is started ({@link PostgresSource#start}) and where offsets are seeded before that
 * ({@link HeldOffsets#seed}, cluster mode). A level set in the logging configuration, or on the
 * logger already, wins. The loggers are fields: JUL holds loggers weakly, and a level set on one
 * that is collected is lost.
 */
final class DebeziumLogs {
    /** Debezium's loggers, where {@link ArrayDimensions} listens. */
    static final Logger DEBEZIUM = Logger.getLogger("io.debezium");

    private static final Logger KAFKA = Logger.getLogger("org.apache.kafka");

    private DebeziumLogs() {}

    /** Quiets both, unless a level is set for them already; as often as called. */
    static synchronized void quiet() {
        quiet(DEBEZIUM);
        quiet(KAFKA);
    }

    private static void quiet(Logger l) {
        if (l.getLevel() == null && LogManager.getLogManager().getProperty(l.getName() + ".level") == null) {
            l.setLevel(Level.WARNING);
        }
    }
}
