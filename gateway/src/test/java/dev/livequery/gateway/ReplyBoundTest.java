package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.testkit.wire.RawWs;
import dev.livequery.testkit.wire.WsClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What one client that sends but does not read can make the gateway hold (docs/protocol.md,
 * "Close 4008"): error replies repeat at most 64 characters of its text, a sub that is not a valid
 * sub is not repeated at all, and the replies waiting are bounded in characters as well as count.
 */
class ReplyBoundTest {

    @Test
    void errorsRepeatAShortPrefixOfClientText() throws Exception {
        try (TestGateway gw = new TestGateway();
                WsClient c = WsClient.connect(gw.port)) {
            String longAction = "x".repeat(30_000);
            c.send("{\"action\":\"" + longAction + "\",\"sub\":\"" + "s".repeat(65) + "\"}");
            c.send("{\"action\":\"" + longAction + "\",\"sub\":\"ok\"}");
            c.send("{\"action\":\"subscribe\",\"sub\":\"" + "t".repeat(20_000)
                    + "\",\"query\":{\"table\":\"a\",\"limit\":1}}");
            // a message made by the engine's parser: it repeats 64 characters too
            c.send("{\"action\":\"subscribe\",\"sub\":\"q\",\"query\":{\"table\":\"" + "b".repeat(20_000)
                    + "\",\"limit\":1}}");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> c.frames("error", null).size() == 4);
            JsonNode unnamed = c.frames("error", null).get(0);
            assertThat(unnamed.has("sub"))
                    .as("a 65-character sub is not repeated")
                    .isFalse();
            assertThat(unnamed.get("message").asText())
                    .startsWith("unknown action '" + "x".repeat(64) + "…'")
                    .hasSizeLessThan(200);
            JsonNode named = c.frames("error", null).get(1);
            assertThat(named.get("sub").asText()).isEqualTo("ok");
            assertThat(named.get("message").asText()).hasSizeLessThan(200);
            JsonNode badSub = c.frames("error", null).get(2);
            assertThat(badSub.has("sub")).isFalse();
            assertThat(badSub.get("code").asText()).isEqualTo("bad_request");
            JsonNode engine = c.frames("error", null).get(3);
            assertThat(engine.get("sub").asText()).isEqualTo("q");
            assertThat(engine.get("code").asText()).isEqualTo("bad_query");
            assertThat(engine.get("message").asText())
                    .contains("got '" + "b".repeat(64) + "…'")
                    .hasSizeLessThan(200);
        }
    }

    /**
     * 1,000 replies of ~420 characters to a client that does not read: under the count cap
     * (1,024), over the character cap (256 Ki) by more than the little the kernel buffers hold
     * with both socket buffers at 4 KiB, so only the character cap can close it.
     */
    @Test
    void repliesWaitingAreBoundedInCharacters() throws Exception {
        try (TestGateway gw = new TestGateway(
                        "server.connection-options.socket-send-buffer-size", "4096",
                        "livequery.write-deadline", "PT60S");
                RawWs ws = new RawWs(gw.port, null, 4096)) {
            String sub = "s".repeat(64);
            String field = "f".repeat(128);
            String op = "o".repeat(64);
            String command = "{\"action\":\"subscribe\",\"sub\":\"" + sub + "\",\"query\":{\"table\":\"a\",\"limit\":1,"
                    + "\"where\":{\"" + field + "\":{\"" + op + "\":1}}}}";
            for (int i = 0; i < 1000; i++) {
                ws.sendText(command);
            }
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> gw.http("GET", "/metrics", null)
                            .body()
                            .contains("livequery_teardowns_total{cause=\"reply_flood\"} 1.0"));
            RawWs.Frame f;
            while ((f = ws.read()) != null && f.opcode() != 8) {
                assertThat(f.text()).hasSizeGreaterThan(350); // the replies are as long as the comment says
            }
            if (f != null) { // else dropped when the close frame could not pass the full buffers (the metric says why)
                assertThat(f.closeCode()).isEqualTo(4008);
                assertThat(f.closeReason()).isEqualTo("too many replies waiting: read your socket");
            }
        }
    }
}
