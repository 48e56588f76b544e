package dev.livequery.sources.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP forwarder to {@code 127.0.0.1:target} whose connections a test can cut
 * ({@link #dropAll}) to make a client see a dropped network connection; new connections are
 * accepted again right away.
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
    private volatile boolean closed;
    private volatile boolean alternating;
    private final AtomicInteger arrivals = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    public TcpProxy(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-proxy-accept").start(this::accept);
    }

    public int port() {
        return server.getLocalPort();
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

    /** Cuts every open connection, both directions; returns how many it cut. */
    public int dropAll() {
        acceptedAtDrop = accepted.get();
        int cut = 0;
        for (Socket c : clients) {
            if (clients.remove(c)) {
                cut++;
            }
        }
        for (Socket s : open) {
            close(s);
        }
        lastCut = cut;
        return cut;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket in = server.accept();
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
                accepted.incrementAndGet();
                open.add(in);
                open.add(out);
                clients.add(in);
                Thread.ofVirtual().start(() -> pump(in, out));
                Thread.ofVirtual().start(() -> pump(out, in));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[16384];
        try (InputStream i = from.getInputStream();
                OutputStream o = to.getOutputStream()) {
            int n;
            while ((n = i.read(buf)) >= 0) {
                o.write(buf, 0, n);
                o.flush();
            }
        } catch (IOException e) {
            // a cut connection: fall through and close both ends
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
    public void close() throws IOException {
        closed = true;
        server.close();
        dropAll();
    }
}
