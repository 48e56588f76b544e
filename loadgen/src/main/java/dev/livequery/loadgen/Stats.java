package dev.livequery.loadgen;

import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * The run's live counters. Clients record here from many threads; only {@link Progress} reads the
 * recorders (one reader, interval histograms), so phases can be cut cleanly.
 */
public final class Stats {
    /** write→client latency of healthy clients, microseconds. */
    final Recorder latency = new Recorder(3);
    /** the same for clients told to stop reading (recorded once they read again). */
    final Recorder slowLatency = new Recorder(3);

    final LongAdder deliveries = new LongAdder();
    final LongAdder frames = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final LongAdder writesOk = new LongAdder();
    final LongAdder writesFailed = new LongAdder();
    final LongAdder writesSkipped = new LongAdder();
    final LongAdder closes = new LongAdder();

    /** A change carrying the writer's stamp {@code tsMicros} reached a client. */
    public void delivered(long tsMicros, boolean slowClient) {
        long lat = Math.max(0, Clock.nowMicros() - tsMicros);
        (slowClient ? slowLatency : latency).recordValue(lat);
        deliveries.increment();
    }

    public void received(int chars) {
        frames.increment();
        bytes.add(chars);
    }
}
