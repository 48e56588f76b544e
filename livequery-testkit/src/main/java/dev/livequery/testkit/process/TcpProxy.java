package dev.livequery.testkit.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A loopback TCP proxy to {@code 127.0.0.1:target} (a Redis, a Postgres), for fault tests:
 * {@link #delay} every chunk in both directions, {@link #throttle} to a byte rate, {@link #cut}
 * (every connection reset and new ones refused until {@link #heal}), {@link #dropAll} (every
 * connection reset, new ones accepted right away), {@link #refuseEveryOther}; and counts of what
 * it accepted and cut, so a test can see a client reconnect. Toxiproxy is not installable here;
 * this is the part of it the tests need. The pauses it makes are the injected fault, not
 * synchronisation.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** The client ends of {@link #open}: one per proxied connection. */
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();

    private final AtomicInteger accepted = new AtomicInteger();
    private volatile int acceptedAtDrop;
    private volatile int lastCut;
    private volatile long delayNanos;
    private volatile long bytesPerSecond;
    private volatile boolean cut;
    private volatile boolean closed;
    private volatile boolean alternating;
    private final AtomicInteger arrivals = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    public TcpProxy(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-proxy-" + server.getLocalPort()).start(this::accept);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The proxy as a Redis URI, for a proxy in front of a Redis. */
    public String uri() {
        return "redis://127.0.0.1:" + port();
    }

    /** Every chunk waits this long before it is forwarded (0: none). */
    public TcpProxy delay(long millis) {
        delayNanos = millis * 1_000_000L;
        return this;
    }

    /** At most this many bytes a second per direction and connection (0: unlimited). */
    public TcpProxy throttle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        return this;
    }

    /** Resets every connection and refuses new ones until {@link #heal}. */
    public TcpProxy cut() {
        cut = true;
        dropAll();
        return this;
    }

    /** Back to a clean link. */
    public TcpProxy heal() {
        cut = false;
        delayNanos = 0;
        bytesPerSecond = 0;
        return this;
    }

    /** Connections accepted so far (a reconnect shows as one more). */
    public int accepted() {
        return accepted.get();
    }

    /**
     * From now on every second new connection is accepted and closed at once, so its client
     * reads EOF (what it sees from a server going down or not up yet). A client that opens
     * connections one after another and retries when the first fails (Debezium's task start)
     * thus always comes to a try whose first connection gets through and whose next does not.
     */
    public void refuseEveryOther() {
        arrivals.set(0);
        alternating = true;
    }

    /** Stops refusing. */
    public void admitAll() {
        alternating = false;
    }

    /** Connections refused so far. */
    public int refused() {
        return refused.get();
    }

    /**
     * Connections accepted since the last {@link #dropAll} began: a client that lost its
     * connections there and opened new ones shows here.
     */
    public int acceptedSinceDrop() {
        return accepted.get() - acceptedAtDrop;
    }

    /** How many connections the last {@link #dropAll} cut (0: the client had none open). */
    public int lastCut() {
        return lastCut;
    }

    /** Cuts every open connection, both directions, and keeps accepting; returns how many it cut. */
    public synchronized int dropAll() {
        acceptedAtDrop = accepted.get();
        int n = 0;
        for (Socket c : clients) {
            if (clients.remove(c)) {
                n++;
            }
        }
        for (Socket s : open) {
            close(s);
        }
        lastCut = n;
        return n;
    }

    /**
     * Counted and made cuttable in one step with respect to {@link #dropAll}: a connection is
     * either cut by it and counted before it, or counted after it and left open.
     */
    private synchronized void register(Socket in, Socket out) {
        accepted.incrementAndGet();
        open.add(in);
        open.add(out);
        clients.add(in);
    }

    private void accept() {
        while (!closed) {
            try {
                Socket in = server.accept();
                if (cut) {
                    close(in);
                    continue;
                }
                if (alternating && arrivals.incrementAndGet() % 2 == 0) {
                    refused.incrementAndGet();
                    close(in);
                    continue;
                }
                Socket out;
                try {
                    out = new Socket(InetAddress.getLoopbackAddress(), target);
                } catch (IOException e) {
                    close(in); // the target is down: the client sees EOF, not a hang
                    continue;
                }
                register(in, out);
                Thread.ofVirtual().name("tcp-proxy-pump").start(() -> pump(in, out));
                Thread.ofVirtual().name("tcp-proxy-pump").start(() -> pump(out, in));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try (InputStream i = from.getInputStream();
                OutputStream o = to.getOutputStream()) {
            int n;
            while ((n = i.read(buf)) >= 0) {
                long d = delayNanos;
                if (d > 0) {
                    LockSupport.parkNanos(d);
                }
                long rate = bytesPerSecond;
                if (rate > 0) {
                    LockSupport.parkNanos(n * 1_000_000_000L / rate);
                }
                if (cut) {
                    break;
                }
                o.write(buf, 0, n);
                o.flush();
            }
        } catch (IOException e) {
            // a cut connection, or the other side went away: fall through and close both ends
        } finally {
            close(from);
            close(to);
        }
    }

    private void close(Socket s) {
        open.remove(s);
        clients.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        dropAll();
    }
}
