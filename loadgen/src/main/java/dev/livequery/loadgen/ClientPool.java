package dev.livequery.loadgen;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * HttpClients for the connections, {@code perClient} connections each. On loopback each client is
 * bound to its own source address 127.0.0.{first+i}: one source address has ~28k ephemeral ports,
 * and a reconnect storm of 10k needs 10k new ports while the old ones sit in TIME_WAIT. Several
 * clients also spread the JDK's per-client selector thread over cores.
 *
 * <p>All clients share one small executor for their callbacks. Left to itself each HttpClient
 * makes a cached thread pool, and a (re)connect burst grew those to ~800 threads on 2 cores.
 */
public final class ClientPool {
    private static final java.util.concurrent.atomic.AtomicInteger THREADS =
            new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.ExecutorService executor = java.util.concurrent.Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
                Thread t = new Thread(r, "ws-client-" + THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
    private final List<HttpClient> clients = new ArrayList<>();
    private final int perClient;
    private final boolean loopback;
    private final int firstOctet;

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

    /** The executor every client callback runs on: the load generator's event loop, probed by {@link ClientLoad}. */
    java.util.concurrent.Executor executor() {
        return executor;
    }

    public synchronized HttpClient forConnection(int i) {
        int k = i / perClient;
        while (clients.size() <= k) {
            clients.add(build(clients.size()));
        }
        return clients.get(k);
    }

    private HttpClient build(int k) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(15))
                .executor(executor);
        if (loopback) {
            int octet = firstOctet + (k % (254 - firstOctet));
            try {
                b.localAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) octet}));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return b.build();
    }

    /** The source addresses in use, for the report. */
    public synchronized String describe() {
        if (!loopback) {
            return clients.size() + " clients, default source address";
        }
        int last = firstOctet + Math.min(clients.size(), 254 - firstOctet) - 1;
        return clients.size() + " clients bound to 127.0.0." + firstOctet + "-127.0.0." + last + ", " + perClient
                + " connections each";
    }
}
