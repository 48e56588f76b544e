package dev.livequery.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy in front of a Redis, for fault tests: {@link #delay} every chunk in both directions,
 * {@link #throttle} to a byte rate, {@link #cut} (every connection reset and new ones refused
 * until {@link #heal}). Toxiproxy is not installable here; this is the part of it the tests need.
 * The pauses it makes are the injected fault, not synchronisation.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile long delayNanos;
    private volatile long bytesPerSecond;
    private volatile boolean cut;
    private volatile boolean closed;

    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "tcp-proxy-" + server.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return server.getLocalPort();
    }

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
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
        return this;
    }

    /** Back to a clean link. */
    public TcpProxy heal() {
        cut = false;
        delayNanos = 0;
        bytesPerSecond = 0;
        return this;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                if (cut) {
                    closeQuietly(client);
                    continue;
                }
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                open.add(client);
                open.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[16 * 1024];
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
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
                            out.write(buf, 0, n);
                            out.flush();
                        }
                    } catch (SocketException e) {
                        // cut or closed
                    } catch (IOException e) {
                        // the other side went away
                    } finally {
                        closeQuietly(from);
                        closeQuietly(to);
                        open.remove(from);
                        open.remove(to);
                    }
                },
                "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        cut();
    }
}
