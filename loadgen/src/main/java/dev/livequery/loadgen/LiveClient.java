package dev.livequery.loadgen;

import dev.livequery.testkit.Replica;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** One client connection of any target: connects, subscribes, counts, can pause reading and drop. */
public interface LiveClient {
    /** Opens (or re-opens, resuming where it was) and subscribes; completes when every subscription is ready. */
    CompletableFuture<Void> connect();

    /** Stops reading (slow-consumer mode): the socket's buffers fill and the server must cope. */
    void pause();

    /**
     * Connects from now on with a receive buffer of {@code bytes} instead of the kernel's, which on
     * Linux grows to {@code tcp_rmem}'s maximum (32 MB on these machines): a client that stops
     * reading then fills its socket within seconds, as a phone on a poor link does, rather than
     * after minutes. Set before the connection opens, so the window it advertises never exceeds it
     * (shrinking the buffer of an open socket drops data the peer then retransmits with growing
     * back-off). SSE clients ({@code java.net.http}) have no such option and keep the kernel's.
     */
    default void receiveBuffer(int bytes) {}

    /** Reads again. */
    void resume();

    /** Drops the connection at once, without a close handshake (a reconnect storm). */
    void drop();

    /** Marks this client's latency samples as a slow client's. */
    void slow(boolean slow);

    /** The livequery subscriptions' replicas; empty for peers, which have no windows. */
    List<Replica> replicas();

    /** The shape of each replica, same order. */
    List<Integer> shapes();

    /** The last WebSocket close code seen from the server, or -1. */
    int closeCode();

    /** The server ended the connection (close frame, EOF or error) since the last connect. */
    boolean gone();

    /**
     * System.nanoTime() of each {@link Marks} step of the last connect, 0 where not reached; null
     * for clients that do not keep them. Ready is timed by the {@link Fleet}.
     */
    default long[] marks() {
        return null;
    }

    /** Steps of one (re)connect, in order, as {@link #marks()} indexes them. */
    enum Marks {
        /** connect() called: the fleet gave this client a permit. */
        START,
        /** WebSocket open: TCP connect and HTTP upgrade done. */
        OPEN,
        /** The last subscribe (or join) command handed to the socket. */
        SENT,
        /** First message from the server. */
        FIRST_FRAME
    }
}
