package dev.livequery.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.testkit.wire.RawWs;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The line logged for a refused Origin (docs/protocol.md, "A refused Origin"): the header, anyone's
 * and of any length, is cut to 200 characters, and a burst of refusals logs one line a second.
 */
class RefusedOriginLogTest {
    @Test
    void aBurstOfLongOriginsLogsFewShortLines() throws Exception {
        String origin = "http://" + "eyJ".repeat(4_700); // 14 KB: the length that cost 1.6 s to redact
        try (LogCapture log = new LogCapture();
                TestGateway gw = new TestGateway()) {
            long started = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                try (RawWs ws = new RawWs(gw.port, origin, 0)) {
                    assertThat(ws.status()).isEqualTo(101);
                    RawWs.Frame f = ws.read();
                    assertThat(f.closeCode()).isEqualTo(1008);
                }
            }
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            List<String> lines = log.lines.stream()
                    .filter(l -> l.contains("refused WebSocket from origin"))
                    .toList();
            // one line, and one more per second the burst lasted (not a timing assertion: a bound)
            assertThat(lines).isNotEmpty().hasSizeLessThanOrEqualTo((int) Math.min(19, 1 + seconds + 1));
            assertThat(lines)
                    .allSatisfy(l -> assertThat(l)
                            .hasSizeLessThan(600)
                            .contains("(" + origin.length() + " characters)")
                            .contains("livequery.allowed-origins"));
        }
    }
}
