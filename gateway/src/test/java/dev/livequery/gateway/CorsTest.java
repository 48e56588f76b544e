package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.testkit.wire.SseClient;
import dev.livequery.testkit.wire.WsClient;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** CORS for the HTTP API and the origin check of SSE and WebSocket, with origins configured: no localhost exception. */
class CorsTest {
    static final String APP = "https://app.example";

    @Test
    void onlyConfiguredOriginsMayCallTheApi() throws Exception {
        try (AuthGateway gw = new AuthGateway("livequery.auth.mode", "none", "livequery.allowed-origins", APP)) {
            HttpResponse<String> pre = gw.http(
                    "OPTIONS",
                    "/v1/tables/items/rows/a",
                    null,
                    null,
                    "Origin",
                    APP,
                    "Access-Control-Request-Method",
                    "PUT",
                    "Access-Control-Request-Headers",
                    "content-type,authorization");
            assertThat(pre.statusCode()).isEqualTo(204);
            assertThat(pre.headers().firstValue("Access-Control-Allow-Origin")).hasValue(APP);
            assertThat(pre.headers().firstValue("Access-Control-Allow-Credentials"))
                    .hasValue("true");
            assertThat(pre.headers().firstValue("Access-Control-Allow-Methods").orElse(""))
                    .contains("PUT");
            assertThat(pre.headers().firstValue("Access-Control-Allow-Headers").orElse(""))
                    .contains("Authorization")
                    .contains("Idempotency-Key"); // every write accepts one (docs/protocol.md)

            HttpResponse<String> evil = gw.http(
                    "OPTIONS",
                    "/v1/tables/items/rows/a",
                    null,
                    null,
                    "Origin",
                    "https://evil.example",
                    "Access-Control-Request-Method",
                    "PUT");
            assertThat(evil.statusCode()).isEqualTo(403);
            assertThat(evil.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();

            HttpResponse<String> put = gw.http("PUT", "/v1/tables/items/rows/a", "{\"id\":\"a\"}", null, "Origin", APP);
            assertThat(put.statusCode()).isEqualTo(200);
            assertThat(put.headers().firstValue("Access-Control-Allow-Origin")).hasValue(APP);
            assertThat(gw.http("GET", "/v1/tables/items/rows/a", null, null, "Origin", "https://evil.example")
                            .headers()
                            .firstValue("Access-Control-Allow-Origin"))
                    .isEmpty();

            // SSE checks Origin like the WebSocket upgrade, and localhost is not special once origins are set
            assertThat(gw.http("GET", "/v1/live/items?limit=5", null, null, "Origin", "http://localhost:3000")
                            .statusCode())
                    .isEqualTo(403);
            assertThat(gw.http("GET", "/v1/live/items?limit=5", null, null, "Origin", "https://evil.example")
                            .statusCode())
                    .isEqualTo(403);
            try (SseClient ok = SseClient.open(gw.port, "/v1/live/items?limit=5", null, null)) {
                assertThat(ok.status).isEqualTo(200);
            }
            try (WsClient refused = WsClient.connect(gw.port, "http://localhost:3000")) {
                // PROTOCOL §4: a refused origin is closed with 1008 (the upgrade itself succeeds)
                assertThat(refused.closed.get(5, java.util.concurrent.TimeUnit.SECONDS))
                        .isEqualTo(1008);
            }
            try (WsClient c = WsClient.connect(gw.port, APP)) {
                assertThat(c.closed).isNotDone();
            }
        }
    }

    @Test
    void withoutConfiguredOriginsTheApiIsSameOriginOnly() throws Exception {
        try (AuthGateway gw = new AuthGateway("livequery.auth.mode", "none")) {
            HttpResponse<String> pre = gw.http(
                    "OPTIONS",
                    "/v1/tables/items/rows/a",
                    null,
                    null,
                    "Origin",
                    APP,
                    "Access-Control-Request-Method",
                    "PUT");
            assertThat(pre.statusCode()).isEqualTo(403);
            assertThat(gw.http("GET", "/v1/live/items?limit=5", null, null, "Origin", APP)
                            .statusCode())
                    .isEqualTo(403);
        }
    }
}
