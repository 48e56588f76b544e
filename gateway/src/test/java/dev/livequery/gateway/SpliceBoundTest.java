package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Replica;
import dev.livequery.testkit.wire.RawWs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code livequery.limits.max-queued} holds for splices too (PROTOCOL §6): a client that sends
 * reanchors without reading gets a clean {@code reset overflow}, not a queue that grows until the
 * write deadline.
 */
class SpliceBoundTest {
    private static final Pattern DEPTH = Pattern.compile("(?m)^livequery_queue_depth (\\S+)$");

    @Test
    void reanchorsWithoutReadingOverflowCleanly() throws Exception {
        try (TestGateway gw = new TestGateway(
                "livequery.limits.max-queued",
                "16",
                "livequery.limits.max-window",
                "100",
                "livequery.write-deadline",
                "PT60S")) {
            String pad = "p".repeat(2000);
            List<ObjectNode> rows = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                rows.add(gw.row("r%03d".formatted(i), "n", i, "pad", pad));
            }
            gw.backend.batch("rq", rows, List.of());
            try (RawWs ws = new RawWs(gw.port, null, 4096)) {
                ws.socket.setSoTimeout(30_000);
                ws.sendText(
                        "{\"action\":\"subscribe\",\"sub\":\"s\",\"query\":{\"table\":\"rq\",\"order\":[{\"field\":\"n\"}],\"limit\":1}}");
                for (int i = 0; i < 300; i++) {
                    ws.sendText("{\"action\":\"reanchor\",\"sub\":\"s\",\"limit\":" + (i % 2 == 0 ? 100 : 1) + "}");
                }
                ws.sendText("{\"action\":\"reanchor\",\"sub\":\"s\",\"limit\":37}");
                // One splice here is at most 100 frames: the queue never holds more than that, or 16.
                await().atMost(Duration.ofSeconds(10))
                        .during(Duration.ofSeconds(2))
                        .until(() -> depth(gw) <= 101);

                Replica r = new Replica();
                List<JsonNode> truth = gw.truth("rq", "order=n&limit=37");
                while (!(r.readies() > 0
                        && r.lastReady() == r.frames().getLast()
                        && r.rows().equals(truth))) {
                    RawWs.Frame f = ws.read();
                    assertThat(f).as("stream ended before the window converged").isNotNull();
                    assertThat(f.opcode()).isNotEqualTo(8);
                    if (f.opcode() == 1) {
                        r.apply(Json.MAPPER.readTree(f.text()));
                    }
                }
                assertThat(r.resetCauses()).contains("overflow");
                assertThat(r.violations()).isEmpty();
            }
        }
    }

    private static double depth(TestGateway gw) throws Exception {
        Matcher m = DEPTH.matcher(gw.http("GET", "/metrics", null).body());
        assertThat(m.find()).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
