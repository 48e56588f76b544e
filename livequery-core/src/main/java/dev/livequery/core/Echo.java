package dev.livequery.core;

/**
 * Client text quoted back in an error message, cut short. A WebSocket error waits in the
 * connection's reply queue until the client reads it, so a message that repeated a 64 KiB name let
 * one client that sends but does not read pin megabytes; a prefix is all a developer needs.
 */
public final class Echo {
    /** Characters (code points) of client text an error message repeats. */
    public static final int MAX = 64;

    private Echo() {}

    /** {@code s} when at most {@link #MAX} characters, else its first {@link #MAX} and "…". */
    public static String of(String s) {
        return cut(s, MAX);
    }

    /** {@code s} when at most {@code max} characters (code points), else its first {@code max} and "…". */
    public static String cut(String s, int max) {
        if (s == null || s.length() <= max || s.codePointCount(0, s.length()) <= max) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, max)) + "…";
    }
}
