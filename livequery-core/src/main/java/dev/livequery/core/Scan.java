package dev.livequery.core;

/**
 * A view built from a table's rows without the table's lock, and the table's stamp it was built
 * at ({@link Table#stamp}: odd while a write runs, bumped by every write). A write must not wait
 * for a reader's scan (tens of ms for 100k rows), so a new shape's view and a one-shot query's
 * throwaway view are scanned unlocked, and kept only if the stamp says no write came meanwhile.
 */
record Scan(View view, long stamp) {
    /**
     * {@code shape}'s view of {@code t}'s rows, scanned without the lock; null if a write was
     * under way or came during the scan ({@link Table#stamp}: odd while a write runs).
     */
    static Scan of(Table t, Shape shape, Tokens tokens) {
        long stamp = t.stamp;
        if ((stamp & 1) != 0) {
            return null;
        }
        View v = new View(t, shape, tokens);
        return t.stamp == stamp ? new Scan(v, stamp) : null;
    }

    /** The view, if no write changed {@code t}'s rows since the scan began; else null. Under the lock. */
    View ifCurrent(Table t) {
        return view.table == t && t.stamp == stamp ? view : null;
    }
}
