package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every error answer is {@code {"error":{"code","message"}}} (PROTOCOL §7), Helidon's own ones included. */
class ErrorBodyTest {
    static TestGateway gw;
    static final String[] JSON = {"Content-Type", "application/json"};

    @BeforeAll
    static void start() {
        gw = new TestGateway("livequery.tables.allow", "t");
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void unknownPathIs404Json() throws Exception {
        HttpApiTest.error(gw.http("GET", "/v1/nothing/here", null), 404, "not_found");
        HttpApiTest.error(gw.http("GET", "/v1/tables/t", null), 404, "not_found");
    }

    @Test
    void wrongMethodIsJson() throws Exception {
        var r = gw.http("POST", "/health", "{}", JSON);
        assertThat(r.statusCode()).isIn(404, 405);
        HttpApiTest.error(r, r.statusCode(), r.statusCode() == 404 ? "not_found" : "method_not_allowed");
        var q = gw.http("DELETE", "/v1/tables/t/query", null);
        HttpApiTest.error(q, q.statusCode(), q.statusCode() == 404 ? "not_found" : "method_not_allowed");
    }

    @Test
    void oversizedRequestLineIsJson() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", gw.port), 5000);
            s.setSoTimeout(10_000);
            String req = "GET /v1/tables/t/rows/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            String resp = readAll(s.getInputStream());
            String status = resp.substring(0, resp.indexOf("\r\n"));
            assertThat(status).matches("HTTP/1\\.1 4\\d\\d .*");
            assertThat(resp.toLowerCase()).contains("content-type: application/json");
            String body = resp.substring(resp.indexOf("\r\n\r\n") + 4);
            assertThat(body).contains("\"error\":{\"code\":\"").contains("\"message\":");
        }
    }

    @Test
    void ifMatchStarMeansTheRowExists() throws Exception {
        HttpApiTest.error(
                gw.http(
                        "PUT",
                        "/v1/tables/t/rows/star",
                        "{\"x\":1}",
                        "Content-Type",
                        "application/json",
                        "If-Match",
                        "*"),
                412,
                "version_mismatch");
        assertThat(gw.http("PUT", "/v1/tables/t/rows/star", "{\"x\":1}", JSON).statusCode())
                .isEqualTo(200);
        var r = gw.http(
                "PUT", "/v1/tables/t/rows/star", "{\"x\":2}", "Content-Type", "application/json", "If-Match", "*");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        var p = gw.http(
                "PATCH", "/v1/tables/t/rows/star", "{\"y\":3}", "Content-Type", "application/json", "If-Match", "*");
        assertThat(p.statusCode()).as(p.body()).isEqualTo(200);
        assertThat(HttpApiTest.json(gw.http("GET", "/v1/tables/t/rows/star", null))
                        .get("row")
                        .toString())
                .isEqualTo("{\"id\":\"star\",\"x\":2,\"y\":3}");
        var d = gw.http("DELETE", "/v1/tables/t/rows/star", null, "If-Match", "*");
        assertThat(d.statusCode()).as(d.body()).isEqualTo(200);
        HttpApiTest.error(gw.http("DELETE", "/v1/tables/t/rows/star", null, "If-Match", "*"), 404, "not_found");
    }

    @Test
    void sseForAnUnknownTableIs400JsonBeforeTheStream() throws Exception {
        var r = gw.http("GET", "/v1/live/nope?limit=5", null);
        HttpApiTest.error(r, 400, "unknown_table");
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    }

    /** A window parameter given twice has no meaning to rely on: refused, never "the first one wins". */
    @Test
    void aWindowParameterGivenTwiceIsBadQuery() throws Exception {
        var q = gw.http("GET", "/v1/tables/t/query?limit=2&limit=3", null);
        HttpApiTest.error(q, 400, "bad_query");
        assertThat(q.body()).contains("'limit' is given 2 times");
        var sse = gw.http("GET", "/v1/live/t?where=%7B%7D&where=%7B%22a%22%3A1%7D", null);
        HttpApiTest.error(sse, 400, "bad_query");
        assertThat(sse.body()).contains("'where'");
        HttpApiTest.error(gw.http("GET", "/v1/live/t?limit=5&resume=a&resume=b", null), 400, "bad_query");
        assertThat(gw.http("GET", "/v1/tables/t/query?limit=2", null).statusCode())
                .isEqualTo(200);
    }

    /** Load balancers probe with HEAD: the health status without a body. */
    @Test
    void healthAnswersHead() throws Exception {
        var r = gw.http("HEAD", "/health", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
    }

    private static String readAll(InputStream in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        int n;
        try {
            while ((n = in.read(b)) > 0) {
                out.write(b, 0, n);
                String s = out.toString(StandardCharsets.ISO_8859_1);
                int head = s.indexOf("\r\n\r\n");
                if (head > 0) {
                    var m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                            .matcher(s);
                    if (m.find() && s.length() - head - 4 >= Integer.parseInt(m.group(1))) {
                        break;
                    }
                }
            }
        } catch (java.net.SocketException e) {
            // the server closed after answering
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
