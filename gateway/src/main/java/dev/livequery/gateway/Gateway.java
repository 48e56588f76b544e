package dev.livequery.gateway;

import dev.livequery.core.Backend;
import dev.livequery.core.LiveQueryException;
import dev.livequery.gateway.auth.Auth;
import dev.livequery.gateway.auth.AuthFilter;
import dev.livequery.gateway.auth.Cors;
import dev.livequery.gateway.auth.JsonRefusal;
import dev.livequery.gateway.delivery.Connections;
import dev.livequery.gateway.http.ClientScript;
import dev.livequery.gateway.http.HealthAndMetrics;
import dev.livequery.gateway.http.HttpErrors;
import dev.livequery.gateway.http.JsonDirectHandler;
import dev.livequery.gateway.http.RequestDeadline;
import dev.livequery.gateway.http.RowsApi;
import dev.livequery.gateway.metrics.GatewayMetrics;
import dev.livequery.gateway.sse.SseEndpoint;
import dev.livequery.gateway.ws.WsEndpoint;
import io.helidon.common.socket.SocketOptions;
import io.helidon.config.Config;
import io.helidon.http.DirectHandler;
import io.helidon.http.HttpException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.spi.ProtocolConfig;
import io.helidon.webserver.staticcontent.ClasspathHandlerConfig;
import io.helidon.webserver.staticcontent.StaticContentFeature;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsRouting;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * A running gateway: the Helidon server and the connections it holds. Owns neither the backend
 * nor the demo; whoever made them closes them.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Gateway.class.getName());

    /** The named Helidon listener for /metrics and /health when {@code livequery.management.port} is set. */
    static final String MANAGEMENT = "management";

    private final WebServer server;
    private final Connections connections;
    private final Settings settings;
    private final Auth auth;
    /** {@code livequery.header-timeout} and {@code body-timeout}; null when the first is zero. */
    private final RequestDeadline deadline;

    private volatile boolean stopped;

    private Gateway(WebServer server, Connections connections, Settings settings, Auth auth, RequestDeadline deadline) {
        this.server = server;
        this.connections = connections;
        this.settings = settings;
        this.auth = auth;
        this.deadline = deadline;
    }

    /**
     * Starts on {@code settings.port()} (0 = any free port). {@code serverConfig}: Helidon's server
     * options; null takes them from the settings' {@code server} node.
     */
    public static Gateway start(Settings settings, Backend backend, Config serverConfig) {
        return start(settings, backend, serverConfig, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** As above, serving {@code registry} (which the backend may also report into) at {@code /metrics}. */
    public static Gateway start(
            Settings settings, Backend backend, Config serverConfig, PrometheusMeterRegistry registry) {
        return start(settings, Auth.none(), backend, serverConfig, registry);
    }

    /** As above with identity and access (PROTOCOL §9); the gateway closes {@code auth} when it stops. */
    public static Gateway start(
            Settings settings, Auth auth, Backend backend, Config serverConfig, PrometheusMeterRegistry registry) {
        Connections connections = new Connections(settings.maxConnections(), settings.writeDeadline());
        GatewayMetrics metrics = new GatewayMetrics(backend, connections, registry);
        connections.metrics(metrics);
        HealthAndMetrics healthAndMetrics = new HealthAndMetrics(backend, connections, metrics);
        Integer management = auth.settings().managementPort();
        RequestDeadline deadline = settings.headerTimeout().isZero()
                ? null
                : RequestDeadline.start(settings.headerTimeout(), settings.bodyTimeout());
        HttpRouting.Builder http = HttpRouting.builder().error(HttpException.class, HttpErrors::httpException);
        if (deadline != null) {
            http.addFilter(deadline.filter()); // first: it must see every other filter's answer
        }
        http.addFilter(new Cors(settings.allowedOrigins())).addFilter(new AuthFilter(auth));
        if (management != null) {
            // registered first, so it shadows HealthAndMetrics's /metrics on the public port
            http.get("/metrics", HttpErrors.guard((req, res) -> {
                throw new LiveQueryException(
                        LiveQueryException.Code.NOT_FOUND,
                        "metrics are served on the management port (livequery.management.port)");
            }));
        }
        http.register(healthAndMetrics)
                .register("/v1/tables", new RowsApi(backend, settings.maxBody(), settings.maxResponse(), auth))
                .register("/v1/client", new ClientScript())
                .get("/v1/live/{table}", new SseEndpoint(backend, connections, settings, auth).handler());
        if (settings.demoEnabled()) {
            http.register(
                    "/",
                    StaticContentFeature.createService(ClasspathHandlerConfig.builder()
                            .location("web")
                            .welcome("index.html")
                            .build()));
        }
        WebServerConfig.Builder b = WebServer.builder();
        Config helidon = serverConfig != null ? serverConfig : settings.serverConfig();
        b.config(helidon);
        noDelay(b, helidon);
        maxTcpConnections(b, helidon, settings);
        if (deadline != null) {
            receiveListener(b, deadline.listener());
            FunctionCounter.builder("livequery_request_timeouts_total", deadline, RequestDeadline::timedOutInHeaders)
                    .description("connections closed because a request's headers or body took longer than"
                            + " livequery.header-timeout or livequery.body-timeout")
                    .tag("part", "headers")
                    .register(registry);
            FunctionCounter.builder("livequery_request_timeouts_total", deadline, RequestDeadline::timedOutInBody)
                    .tag("part", "body")
                    .register(registry);
        }
        b.port(settings.port())
                .shutdownHook(false)
                // JSON before any route runs; a refused upgrade's 401 with its own message (JsonRefusal)
                .directHandlers(DirectHandlers.builder()
                        .defaults(JsonDirectHandler.all())
                        .addHandler(DirectHandler.EventType.OTHER, new JsonRefusal(new JsonDirectHandler()))
                        .build())
                .addProtocol(WsConfig.builder()
                        .maxFrameLength(WsEndpoint.maxFrameLength(settings))
                        .build())
                .addRouting(http)
                .addRouting(WsRouting.builder()
                        .endpoint("/v1/ws", new WsEndpoint(backend, connections, settings, auth).listeners()));
        if (management != null) {
            // /health and /metrics without tokens, on a listener the network keeps private
            b.putSocket(
                    MANAGEMENT,
                    l -> l.port(management)
                            .host(helidon.get("host").asString().orElse("0.0.0.0"))
                            .routing(r -> r.error(HttpException.class, HttpErrors::httpException)
                                    .register(healthAndMetrics)));
        }
        WebServer server = b.build().start();
        if (!server.isRunning()) {
            // Helidon logs why a listener failed (e.g. the port is taken) and returns a stopped server
            connections.close();
            auth.close();
            if (deadline != null) {
                deadline.close();
            }
            throw new IllegalStateException("the server did not start on port " + settings.port()
                    + (management != null ? " (management port " + management + ")" : "")
                    + ": see the error logged above (address already in use?)");
        }
        return new Gateway(server, connections, settings, auth, deadline);
    }

    /**
     * Adds {@code listener} to the HTTP/1 protocol's receive listeners, keeping whatever
     * {@code server.protocols} configured for it (Helidon makes one from defaults when none is).
     */
    static void receiveListener(WebServerConfig.Builder b, Http1ConnectionListener listener) {
        List<ProtocolConfig> protocols = new ArrayList<>();
        boolean http1 = false;
        for (ProtocolConfig p : b.protocols()) {
            if (p instanceof Http1Config h) {
                protocols.add(with(Http1Config.builder().from(h), listener));
                http1 = true;
            } else {
                protocols.add(p);
            }
        }
        if (!http1) {
            protocols.add(with(Http1Config.builder(), listener));
        }
        b.protocols(protocols);
    }

    private static Http1Config with(Http1Config.Builder h, Http1ConnectionListener listener) {
        List<Http1ConnectionListener> all = new ArrayList<>(h.receiveListeners());
        all.add(listener);
        // the composite is what connections call; set it, since from() copied the old one
        return h.receiveListeners(all)
                .compositeReceiveListener(Http1ConnectionListener.create(all))
                .build();
    }

    /**
     * TCP_NODELAY on every accepted connection unless {@code server.connection-options.tcp-no-delay}
     * says otherwise (Helidon's default is off). With Nagle's algorithm on, a frame written while the
     * previous one is unacknowledged waits for that ACK, and a client's delayed ACK takes up to 40 ms
     * on Linux: a live update must not wait for the one before it to be acknowledged.
     */
    static void noDelay(WebServerConfig.Builder b, Config helidon) {
        if (!helidon.get("connection-options.tcp-no-delay").exists()) {
            SocketOptions current = b.connectionOptions().orElseGet(SocketOptions::create);
            b.connectionOptions(
                    SocketOptions.builder().from(current).tcpNoDelay(true).build());
        }
    }

    /**
     * Helidon's {@code max-tcp-connections} unless {@code server.max-tcp-connections} sets it: twice
     * {@code livequery.limits.max-connections} plus 1,000. Our limit counts admitted connections
     * only; sockets still in their HTTP request, refused ones (1008, 4029) until their peer closes,
     * and plain HTTP requests are counted by nothing else (Helidon's default is no limit). Past it,
     * Helidon stops accepting until a socket closes (new ones wait in the backlog).
     */
    static void maxTcpConnections(WebServerConfig.Builder b, Config helidon, Settings settings) {
        if (!helidon.get("max-tcp-connections").exists()) {
            b.maxTcpConnections((int) Math.min(Integer.MAX_VALUE, 2L * settings.maxConnections() + 1000));
        }
    }

    /** The listener's TCP connection limit ({@link #maxTcpConnections}). */
    int maxTcpConnections() {
        return server.prototype().maxTcpConnections();
    }

    public int port() {
        return server.port();
    }

    /** The management listener's port ({@code livequery.management.port}), or -1 when there is none. */
    public int managementPort() {
        return auth.settings().managementPort() == null ? -1 : server.port(MANAGEMENT);
    }

    /**
     * Graceful stop: refuse new connections, send {@code closed shutdown} to every subscription,
     * close WebSockets with 1001 and end SSE streams, waiting up to {@code livequery.shutdown-grace};
     * then stop the server.
     */
    public void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        long t0 = System.nanoTime();
        connections.shutdown(settings.shutdownGrace());
        server.stop();
        connections.close();
        auth.close();
        if (deadline != null) {
            deadline.close();
        }
        LOG.info(() -> "gateway stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    @Override
    public void close() {
        stop();
    }
}
