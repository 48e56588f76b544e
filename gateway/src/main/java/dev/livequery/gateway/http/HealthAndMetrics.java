package dev.livequery.gateway.http;

import dev.livequery.core.Backend;
import dev.livequery.gateway.delivery.Connections;
import dev.livequery.gateway.metrics.GatewayMetrics;
import dev.livequery.sources.postgres.SourcedBackend;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code /health} and {@code /metrics}. Health is readiness: 200 only when the backend can serve
 * and the gateway is not draining, so a load balancer stops sending before shutdown ends streams.
 */
public final class HealthAndMetrics implements HttpService {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
    private final Backend backend;
    private final Connections connections;
    private final GatewayMetrics metrics;

    public HealthAndMetrics(Backend backend, Connections connections, GatewayMetrics metrics) {
        this.backend = backend;
        this.connections = connections;
        this.metrics = metrics;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/health", HttpErrors.guard((req, res) -> {
            boolean up = up(res);
            String source =
                    backend instanceof SourcedBackend s ? ",\"source\":" + JSON.writeValueAsString(s.health()) : "";
            res.send("{\"status\":\"" + (up ? "UP" : "DOWN") + "\"" + source + "}");
        }));
        // Load balancers often probe with HEAD: the same status, no body.
        rules.head("/health", HttpErrors.guard((req, res) -> {
            up(res);
            res.send();
        }));
        rules.get("/metrics", HttpErrors.guard((req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, GatewayMetrics.contentType());
            res.send(metrics.scrape());
        }));
    }

    /** Sets the health status (200 ready, 503 not) and the JSON content type; whether it is up. */
    private boolean up(ServerResponse res) {
        boolean up = backend.ready() && !connections.draining();
        res.status(up ? 200 : 503);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        return up;
    }
}
