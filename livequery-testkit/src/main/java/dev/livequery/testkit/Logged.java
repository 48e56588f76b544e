package dev.livequery.testkit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What one logger, and the loggers under it, publish while this is open, in order: for the tests
 * that hold a fault to the line an operator reads (said once, at the right level, naming what to
 * change). Only what the logger lets through is seen; its level is left as it is.
 */
public final class Logged extends Handler implements AutoCloseable {
    private final Logger logger;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private Logged(Logger logger) {
        this.logger = logger;
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    /** Starts collecting what the logger named {@code name} publishes. */
    public static Logged by(String name) {
        return new Logged(Logger.getLogger(name));
    }

    /** Starts collecting what the logger named after {@code c} publishes. */
    public static Logged by(Class<?> c) {
        return by(c.getName());
    }

    /** Every record so far (a live list: it grows as the logger publishes). */
    public List<LogRecord> records() {
        return records;
    }

    /** The messages of the records at {@code level} or above so far, in order. */
    public List<String> messages(Level level) {
        return records.stream()
                .filter(r -> r.getLevel().intValue() >= level.intValue())
                .map(r -> String.valueOf(r.getMessage()))
                .toList();
    }

    /** Forgets what was collected so far. */
    public void clear() {
        records.clear();
    }

    @Override
    public void publish(LogRecord r) {
        records.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
