package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** livequery.management.port: /metrics moves to its own listener (no token there), /health stays on both. */
class ManagementPortTest {
    @Test
    void metricsMoveToTheManagementListener() throws Exception {
        try (AuthGateway gw = new AuthGateway("livequery.management.port", "0")) {
            int mp = gw.gateway.managementPort();
            assertThat(mp).isPositive().isNotEqualTo(gw.port);
            var metrics = TestGateway.http(mp, "GET", "/metrics", null);
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("livequery_");
            assertThat(TestGateway.http(mp, "GET", "/health", null).statusCode())
                    .isEqualTo(200);
            assertThat(TestGateway.http(mp, "GET", "/v1/tables/open/query?limit=1", null)
                            .statusCode())
                    .isEqualTo(404);
            String token = AuthGateway.token("u1", java.time.Duration.ofMinutes(1));
            assertThat(gw.http("GET", "/metrics", null, token).statusCode()).isEqualTo(404);
            assertThat(gw.http("GET", "/health", null, null).statusCode()).isEqualTo(200);
        }
        try (AuthGateway gw = new AuthGateway()) {
            assertThat(gw.gateway.managementPort()).isEqualTo(-1);
            String token = AuthGateway.token("u1", java.time.Duration.ofMinutes(1));
            assertThat(gw.http("GET", "/metrics", null, token).statusCode()).isEqualTo(200);
            assertThat(gw.http("GET", "/metrics", null, null).statusCode()).isEqualTo(401);
        }
    }
}
