package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SourceCountersTest {
    /** The keys a cluster source reports before it streams are those a streaming source fills. */
    @Test
    void theGaugesOfASourceThatAppliedAndStreamsAreTheListedOnes() {
        SourceCounters c = new SourceCounters();
        c.snapshot(100);
        c.received(200);
        c.reconnects.incrementAndGet();
        assertThat(c.gauges(true, 4096).keySet()).containsExactlyElementsOf(SourceCounters.GAUGES);
        assertThat(SourceCounters.GAUGES).contains("source_position", "source_streaming", "source_retained_wal_bytes");
        assertThat(c.gauges(true, 4096))
                .containsEntry("source_position", 100L)
                .containsEntry("source_received_position", 200L)
                .containsEntry("source_streaming", 1L)
                .containsEntry("source_retained_wal_bytes", 4096L);
    }
}
