package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The script-tag client is served in every mode, with an ETag that revalidates to 304. */
class ClientScriptTest {
    @Test
    void scriptAndTypesAreServedWithoutTheDemoAndRevalidateByEtag() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.demo.enabled", "false")) {
            assertThat(gw.http("GET", "/", null).statusCode())
                    .as("no demo page")
                    .isEqualTo(404);
            var js = gw.http("GET", "/v1/client/livequery.js", null);
            assertThat(js.statusCode()).isEqualTo(200);
            assertThat(js.headers().firstValue("content-type"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("text/javascript"));
            // exactly the committed build of clients/js (the JS suite checks that it equals a fresh build)
            assertThat(js.body()).isEqualTo(Files.readString(Path.of("src/main/resources/client/livequery.js")));
            assertThat(js.body()).contains("g.LiveQuery = ", "resume");
            String etag = js.headers().firstValue("etag").orElseThrow();
            assertThat(etag).matches("\"[0-9a-f]{32}\"");

            var again = gw.http("GET", "/v1/client/livequery.js", null, "If-None-Match", etag);
            assertThat(again.statusCode()).isEqualTo(304);
            assertThat(again.body()).isEmpty();
            var stale = gw.http("GET", "/v1/client/livequery.js", null, "If-None-Match", "\"older\"");
            assertThat(stale.statusCode()).isEqualTo(200);

            var head = gw.http("HEAD", "/v1/client/livequery.js", null);
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertThat(head.headers().firstValue("etag")).hasValue(etag);
            assertThat(head.headers().firstValue("content-length"))
                    .hasValue(String.valueOf(js.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length));

            var dts = gw.http("GET", "/v1/client/livequery.d.ts", null);
            assertThat(dts.statusCode()).isEqualTo(200);
            assertThat(dts.body()).contains("declare namespace livequery", "declare var LiveQuery");
            assertThat(dts.headers().firstValue("etag")).isPresent().get().isNotEqualTo(etag);
        }
    }
}
