package dev.livequery.testkit;

/**
 * A text that counts the characters a reader (a regex matcher) takes from it and fails the test
 * past a budget: a pattern's cost checked by what it reads, not by a clock, so the check is the
 * same on a slow machine and a fast one, and a pattern that backtracks fails at once instead of
 * hanging the build.
 */
public final class CountedChars implements CharSequence {
    private final String s;
    private final long budget;
    private long reads;

    public CountedChars(String s, long budget) {
        this.s = s;
        this.budget = budget;
    }

    /** Characters read so far. */
    public long reads() {
        return reads;
    }

    @Override
    public char charAt(int i) {
        if (++reads > budget) {
            throw new AssertionError("read over " + budget + " characters of a text of " + s.length());
        }
        return s.charAt(i);
    }

    @Override
    public int length() {
        return s.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return s.subSequence(start, end);
    }

    @Override
    public String toString() {
        return s;
    }
}
