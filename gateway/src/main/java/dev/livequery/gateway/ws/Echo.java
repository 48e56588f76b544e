package dev.livequery.gateway.ws;

/**
 * Client text quoted back in an error message, cut short. A reply waits in the connection's queue
 * until the client reads it, so an error that repeated a 64 KiB message let one client that
 * sends but does not read pin megabytes; a prefix is all a developer needs to recognise it.
 */
final class Echo {
    /** Characters (code points) of client text an error message repeats. */
    static final int MAX = dev.livequery.core.Echo.MAX;
    /** The longest error message a WebSocket reply carries, whatever repeated client text it holds. */
    static final int MAX_MESSAGE = 512;

    private Echo() {}

    /** {@code s} when at most {@link #MAX} characters, else its first {@link #MAX} and "…". */
    static String of(String s) {
        return dev.livequery.core.Echo.of(s);
    }

    /** An error message of at most {@link #MAX_MESSAGE} characters (the net under messages made elsewhere). */
    static String message(String s) {
        return dev.livequery.core.Echo.cut(s, MAX_MESSAGE);
    }
}
