package dev.livequery.gateway;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The randomized wire-level model ({@link WireModel}) against one gateway over the embedded backend. */
class WireModelTest {
    @Test
    void replicasConvergeToTheOneShotTruth() throws Exception {
        try (TestGateway gw = new TestGateway("livequery.limits.max-queued", "64")) {
            new WireModel(List.of(gw.port), WireModel.seed(), Duration.ofSeconds(20)).run();
        }
    }
}
