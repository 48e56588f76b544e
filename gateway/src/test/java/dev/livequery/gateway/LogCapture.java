package dev.livequery.gateway;

import dev.livequery.gateway.auth.Redact;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Every log line of the gateway, Helidon and Nimbus, at every level, as a handler installed like
 * Main installs its handlers (with {@link Redact}) would write it: to prove no secret is logged.
 */
final class LogCapture extends Handler implements AutoCloseable {
    private static final String[] LOGGERS = {"dev.livequery", "io.helidon", "com.nimbusds"};
    final List<String> lines = new CopyOnWriteArrayList<>();
    private final Level[] prior = new Level[LOGGERS.length];

    LogCapture() {
        setLevel(Level.ALL);
        Logger.getLogger("").addHandler(this);
        Redact.install();
        for (int i = 0; i < LOGGERS.length; i++) {
            Logger l = Logger.getLogger(LOGGERS[i]);
            prior[i] = l.getLevel();
            l.setLevel(Level.ALL);
        }
    }

    @Override
    public void publish(LogRecord r) {
        if (!isLoggable(r)) {
            return;
        }
        StringBuilder b = new StringBuilder(r.getLoggerName() + " " + new SimpleFormatter().formatMessage(r));
        if (r.getThrown() != null) {
            StringWriter w = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(w));
            b.append('\n').append(w);
        }
        lines.add(b.toString());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
        for (int i = 0; i < LOGGERS.length; i++) {
            Logger.getLogger(LOGGERS[i]).setLevel(prior[i]);
        }
    }
}
