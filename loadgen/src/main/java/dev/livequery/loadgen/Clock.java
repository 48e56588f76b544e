package dev.livequery.loadgen;

import java.time.Instant;

/** Wall-clock microseconds: what the writer stamps into a row and the client subtracts on receipt. */
public final class Clock {
    private Clock() {}

    public static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
}
