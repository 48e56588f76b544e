package dev.livequery.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client side's transport: one Netty event loop group (one thread per core) that carries every
 * WebSocket, and the source address of each connection. On loopback connection {@code i} is bound to
 * 127.0.0.{first + i / perClient}: one source address has ~28k ephemeral ports, and a reconnect storm
 * of 10k needs 10k new ports while the old ones sit in TIME_WAIT.
 *
 * <p>Netty, not java.net.http, because the client shares the cores with the server it measures: on
 * the JDK WebSocket (a selector thread per HttpClient, a CompletableFuture chain and an executor hop
 * per frame) the 5k-connection target run kept the client near a core of its own and below the
 * offered rate. The SSE streams still use an {@link HttpClient} per source address; they
 * share one small executor, since each HttpClient left to itself grew a cached pool to ~800 threads
 * in a (re)connect burst.
 */
public final class ClientPool implements AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private final EventLoopGroup group = new NioEventLoopGroup(
            Math.max(2, Runtime.getRuntime().availableProcessors()), new DefaultThreadFactory("ws-client", true));
    private ExecutorService sseExecutor;
    private final List<HttpClient> clients = new ArrayList<>();
    private final int perClient;
    private final boolean loopback;
    private final int firstOctet;
    private int addressesUsed;

    public ClientPool(String host, int perClient, int firstOctet) {
        this.perClient = Math.max(1, perClient);
        this.firstOctet = firstOctet;
        boolean lo;
        try {
            lo = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            lo = false;
        }
        this.loopback = lo;
    }

    /** The event loops every WebSocket callback runs on, probed by {@link ClientLoad}. */
    Executor executor() {
        return group;
    }

    /** A bootstrap for connection {@code i}: the shared event loops; bind it to {@link #localAddress}. */
    Bootstrap bootstrap() {
        return new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 15_000);
    }

    /** The source address of connection {@code i}, or null for the system's choice (not loopback). */
    synchronized InetSocketAddress localAddress(int i) {
        int k = i / perClient;
        addressesUsed = Math.max(addressesUsed, k + 1);
        return loopback ? new InetSocketAddress(octet(k), 0) : null;
    }

    /** An HttpClient for SSE connection {@code i}, bound like the WebSockets. */
    public synchronized HttpClient forConnection(int i) {
        int k = i / perClient;
        addressesUsed = Math.max(addressesUsed, k + 1);
        while (clients.size() <= k) {
            clients.add(build(clients.size()));
        }
        return clients.get(k);
    }

    private InetAddress octet(int k) {
        int octet = firstOctet + (k % (254 - firstOctet));
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) octet});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpClient build(int k) {
        if (sseExecutor == null) {
            sseExecutor = Executors.newFixedThreadPool(
                    Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
                        Thread t = new Thread(r, "sse-client-" + THREADS.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
        }
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(15))
                .executor(sseExecutor);
        if (loopback) {
            b.localAddress(octet(k));
        }
        return b.build();
    }

    /** Stops the event loops (their threads are daemons: a run that just exits needs no call). */
    @Override
    public void close() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The source addresses in use, for the report. */
    public synchronized String describe() {
        if (!loopback) {
            return addressesUsed + " connection groups, default source address";
        }
        int last = firstOctet + Math.min(addressesUsed, 254 - firstOctet) - 1;
        return addressesUsed + " source addresses 127.0.0." + firstOctet + "-127.0.0." + last + ", " + perClient
                + " connections each";
    }
}
