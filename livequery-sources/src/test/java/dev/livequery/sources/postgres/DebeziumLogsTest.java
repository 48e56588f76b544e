package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.testkit.Logged;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class DebeziumLogsTest {
    /**
     * Cluster mode seeds the offsets (Kafka's JSON converters, which log their configuration at
     * INFO) before it starts a source: that is quiet too, whether or not a source was started in
     * this process before (the loggers' levels are cleared here as in a fresh one).
     */
    @Test
    void seedingOffsetsBeforeAnySourceStartedLogsNothingBelowWarning() {
        Logger kafka = Logger.getLogger("org.apache.kafka");
        Logger debezium = Logger.getLogger("io.debezium");
        Level kafkaLevel = kafka.getLevel();
        Level debeziumLevel = debezium.getLevel();
        kafka.setLevel(null);
        debezium.setLevel(null);
        Logged logged = Logged.by(kafka.getName());
        try {
            HeldOffsets.seed("logs-test", "engine", Map.of("server", "s"), Map.of("lsn", 1L));
        } finally {
            logged.close();
            HeldOffsets.drop("logs-test");
            kafka.setLevel(kafkaLevel);
            debezium.setLevel(debeziumLevel);
        }
        assertThat(logged.records().stream()
                        .filter(r -> r.getLevel().intValue() < Level.WARNING.intValue())
                        .map(r -> r.getLoggerName() + " " + r.getLevel() + ": " + r.getMessage()))
                .isEmpty();
    }
}
