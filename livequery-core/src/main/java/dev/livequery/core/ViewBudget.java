package dev.livequery.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The entries all views of one engine hold together ({@code livequery.limits.max-view-rows}): each
 * view keeps every matching row of its table in its tree (~100 bytes an entry), and the per-table
 * cap on views alone let a thousand views of a large table fill any heap.
 *
 * <p>A view's size is counted when it is made ({@link Table#view}), when it grows or shrinks by a
 * change (the table sums a change's deltas in a plain field and adds them here once, after the
 * change) and when it is reloaded or dropped. A new view is admitted only if the total with it
 * stays within the budget: views that grew past it by writes stay, but no new one comes while it
 * is passed. A one-shot query's throwaway view is checked the same way and never counted.
 * Views made at the same moment on different tables (different locks) are checked against the
 * same total, so the bound may be passed by their sizes: it bounds memory, it is not exact.
 */
final class ViewBudget {
    private final long max;
    private final AtomicLong rows = new AtomicLong();

    ViewBudget(long max) {
        this.max = max;
    }

    /** The entries all views hold now. */
    long rows() {
        return rows.get();
    }

    void add(long n) {
        if (n != 0) {
            rows.addAndGet(n);
        }
    }

    /** Refuses ({@code too_many_subs}) a view of {@code n} entries that would pass the budget. */
    void admit(long n, String table) throws LiveQueryException {
        long now = rows.get();
        if (now + n > max) {
            throw new LiveQueryException(
                    LiveQueryException.Code.TOO_MANY_SUBS,
                    "live queries hold " + now + " rows in their views and this query's view of table '" + table
                            + "' would add " + n + ", past the " + max
                            + " livequery.limits.max-view-rows allows; watch a shape already watched, narrow "
                            + "the where, or raise the limit");
        }
    }
}
