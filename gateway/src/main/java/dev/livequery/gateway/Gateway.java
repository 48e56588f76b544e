package dev.livequery.gateway;

import dev.livequery.core.Backend;
import dev.livequery.gateway.delivery.Connections;
import dev.livequery.gateway.delivery.GatewayMetrics;
import dev.livequery.gateway.http.HttpErrors;
import dev.livequery.gateway.http.JsonDirectHandler;
import dev.livequery.gateway.http.Observe;
import dev.livequery.gateway.http.RowsApi;
import dev.livequery.gateway.sse.SseEndpoint;
import dev.livequery.gateway.ws.WsEndpoint;
import io.helidon.config.Config;
import io.helidon.http.HttpException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.staticcontent.ClasspathHandlerConfig;
import io.helidon.webserver.staticcontent.StaticContentFeature;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsRouting;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.logging.Logger;

/**
 * A running gateway: the Helidon server and the connections it holds. Owns neither the backend
 * nor the demo; whoever made them closes them.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Gateway.class.getName());

    private final WebServer server;
    private final Connections connections;
    private final Settings settings;
    private volatile boolean stopped;

    private Gateway(WebServer server, Connections connections, Settings settings) {
        this.server = server;
        this.connections = connections;
        this.settings = settings;
    }

    /** Starts on {@code settings.port()} (0 = any free port). {@code serverConfig} may be null. */
    public static Gateway start(Settings settings, Backend backend, Config serverConfig) {
        return start(settings, backend, serverConfig, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** As above, serving {@code registry} (which the backend may also report into) at {@code /metrics}. */
    public static Gateway start(Settings settings, Backend backend, Config serverConfig,
            PrometheusMeterRegistry registry) {
        Connections connections = new Connections(settings.maxConnections(), settings.writeDeadline());
        GatewayMetrics metrics = new GatewayMetrics(backend, connections, registry);
        connections.metrics(metrics);
        HttpRouting.Builder http = HttpRouting.builder()
                .error(HttpException.class, HttpErrors::httpException)
                .register(new Observe(backend, connections, metrics))
                .register("/v1/tables", new RowsApi(backend, settings.maxBody()))
                .get("/v1/live/{table}", new SseEndpoint(backend, connections, settings).handler());
        if (settings.demoEnabled()) {
            http.register("/", StaticContentFeature.createService(ClasspathHandlerConfig.builder()
                    .location("web").welcome("index.html").build()));
        }
        WebServerConfig.Builder b = WebServer.builder();
        if (serverConfig != null) {
            b.config(serverConfig);
        }
        WebServer server = b.port(settings.port())
                .shutdownHook(false)
                .directHandlers(JsonDirectHandler.all())
                .addProtocol(WsConfig.builder().maxFrameLength(WsEndpoint.maxFrameLength(settings)).build())
                .addRouting(http)
                .addRouting(WsRouting.builder().endpoint("/v1/ws",
                        new WsEndpoint(backend, connections, settings).listeners()))
                .build()
                .start();
        return new Gateway(server, connections, settings);
    }

    public int port() {
        return server.port();
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
        LOG.info(() -> "gateway stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    @Override
    public void close() {
        stop();
    }
}
