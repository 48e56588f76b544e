package dev.livequery.testkit;

/**
 * The bookkeeping of "stale without being told" for one client: fed one look at a time (does its
 * window equal the truth, has it been told — {@code status stale}, or between a reset and its
 * ready), it keeps the longest stretch during which the window differed and nobody said so. A
 * stretch ends at the first look that is equal or told; the clock is the caller's, so the rule
 * can be tested without waiting.
 */
public final class Silence {
    private long since = -1;
    private long longest;
    private long longestStart = -1;

    /** One look at {@code nanos} (any monotonic clock). */
    public void look(boolean same, boolean told, long nanos) {
        if (same || told) {
            since = -1;
        } else if (since < 0) {
            since = nanos;
        } else if (nanos - since > longest) {
            longest = nanos - since;
            longestStart = since;
        }
    }

    /** The longest silent divergence so far, in nanoseconds (0: never silent across two looks). */
    public long longestNanos() {
        return longest;
    }

    /** When the longest stretch began, on the caller's clock; -1 if there was none. */
    public long longestStart() {
        return longestStart;
    }
}
