package dev.livequery.sources.postgres;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Catches the one trace Debezium leaves of a multi-dimensional array. Postgres does not tie an
 * array column to a number of dimensions ({@code '{{1,2},{3,4}}'} fits an {@code int[]}), and
 * Debezium converts only one-dimensional arrays: each inner array becomes a null element, with
 * a WARNING ("Unexpected value for JDBC type … column m-element …: class=Integer[]") and nothing
 * in the record to tell it from real nulls. This handler on Debezium's loggers turns that warning
 * into a failure of every running source, whose next batch then stops before it is applied: a
 * loud stop instead of silent nulls. The warning names the column, not the table, so with
 * several sources in one process each of them stops.
 */
final class ArrayDimensions extends Handler {
    private static final ArrayDimensions INSTANCE = new ArrayDimensions();
    /**
     * The logger that warns (Debezium's JdbcValueConverters logs under its subclass' name): kept
     * at WARNING, unless configured by name, so that a quieter level set for io.debezium as a
     * whole does not silence the one warning this depends on. Held here: JUL holds loggers weakly.
     */
    private static final Logger CONVERTER = pinned("io.debezium.connector.postgresql.PostgresValueConverter");

    private static Logger pinned(String name) {
        Logger l = Logger.getLogger(name);
        if (java.util.logging.LogManager.getLogManager().getProperty(name + ".level") == null) {
            l.setLevel(java.util.logging.Level.WARNING);
        }
        return l;
    }

    private static final String MARK = "Unexpected value for JDBC type ";
    /** The sources to tell, each with what to do: called on Debezium's conversion thread. */
    private final Set<Consumer<String>> listeners = new CopyOnWriteArraySet<>();

    private ArrayDimensions() {}

    /** Tells {@code listener} the column of every multi-dimensional array from now on. */
    static synchronized void listen(Logger debezium, Consumer<String> listener) {
        if (!java.util.Arrays.asList(debezium.getHandlers()).contains(INSTANCE)) {
            debezium.addHandler(INSTANCE);
        }
        INSTANCE.listeners.add(listener);
        CONVERTER.getName(); // loaded and pinned before the first engine converts anything
    }

    static void stopListening(Consumer<String> listener) {
        INSTANCE.listeners.remove(listener);
    }

    /** The column a Debezium warning names when it met an array inside an array, else null. */
    static String column(String message) {
        if (message == null || !message.startsWith(MARK) || !message.endsWith("[]")) {
            return null;
        }
        int from = message.indexOf(" column ");
        int to = message.indexOf("-element ", from);
        return from < 0 || to < 0 ? null : message.substring(from + " column ".length(), to);
    }

    @Override
    public void publish(LogRecord r) {
        String column = column(r.getMessage());
        if (column != null) {
            listeners.forEach(l -> l.accept(column));
        }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
}
