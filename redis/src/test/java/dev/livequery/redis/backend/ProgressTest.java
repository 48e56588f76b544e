package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The observation bookkeeping of the gateway's progress check, on a fake clock (nanoseconds). */
class ProgressTest {
    static final long S = 1_000_000_000L;
    final Progress progress = new Progress();

    @Test
    void anOwnerThatKeepsUpIsNeverOverdueUnderSteadyWrites() {
        // Heads read every 250 ms run ahead of the last tick; a tick a second reports what the
        // owner applied 50 ms before it. Only the oldest observation waits, and each tick clears it.
        long t = 0;
        for (int round = 1; round <= 200; round++) {
            t += S / 4;
            progress.observe(7, "s1", head(t), t);
            if (round % 4 == 0) {
                progress.applied("s1", Map.of(7, head(t - S / 20)));
            }
            assertThat(progress.overdue(7, t)).as("round %d", round).isFalse();
        }
    }

    @Test
    void anOwnerWhoseTicksComeButWhosePositionStandsStillIsOverdueAfterTwoSeconds() {
        progress.applied("s1", Map.of(7, "1000-0"));
        progress.observe(7, "s1", "1500-0", 0);
        for (long t = S / 4; t <= 4 * S; t += S / 4) {
            progress.observe(7, "s1", head(t), t); // newer heads do not replace the oldest
            progress.applied("s1", Map.of(7, "1000-0"));
            assertThat(progress.overdue(7, t)).as("at %d ms", t / 1_000_000).isEqualTo(t > Progress.OVERDUE_NANOS);
        }
        progress.applied("s1", Map.of(7, "1500-0"));
        assertThat(progress.overdue(7, 4 * S))
                .as("caught up with the observed head")
                .isFalse();
    }

    @Test
    void aHeadSeenBeforeAMomentIsWaitedForUntilApplied() {
        // A shard resuming from a pause: a write seen at 1 s, stale told at 2 s, its first tick at
        // 2.1 s before it applied that write. Not overdue yet, but not caught up with 2 s either.
        progress.applied("s1", Map.of(4, "1000-0"));
        progress.observe(4, "s1", "1500-0", S);
        assertThat(progress.overdue(4, 2 * S + S / 10)).isFalse();
        assertThat(progress.waitingSince(4, 2 * S)).isTrue();
        assertThat(progress.waitingSince(4, S / 2)).as("seen after that moment").isFalse();
        progress.applied("s1", Map.of(4, "1500-0"));
        assertThat(progress.waitingSince(4, 2 * S)).isFalse();
    }

    @Test
    void streamIdsCompareAsNumbers() {
        progress.observe(1, "s1", "1700000000000-10", 0);
        progress.applied("s1", Map.of(1, "1700000000000-9"));
        assertThat(progress.overdue(1, 3 * S)).isTrue();
        progress.applied("s1", Map.of(1, "1700000000000-10"));
        assertThat(progress.overdue(1, 3 * S)).isFalse();
        progress.observe(2, "s1", "999-5", 0);
        progress.applied("s1", Map.of(2, "1000-0"));
        assertThat(progress.overdue(2, 3 * S)).isFalse();
    }

    @Test
    void aHeadAlreadyAppliedIsNoObservation() {
        progress.applied("s1", Map.of(3, "2000-0"));
        progress.observe(3, "s1", "2000-0", 0);
        assertThat(progress.overdue(3, 10 * S)).isFalse();
    }

    @Test
    void anEmptyOrUnreadableStreamIsNothingToWaitFor() {
        progress.observe(3, "s1", null, 0);
        assertThat(progress.overdue(3, 10 * S)).isFalse();
    }

    @Test
    void onlyTheOwnerResolvesAndANewOwnerStartsAfresh() {
        progress.observe(5, "s1", "1000-0", 0);
        progress.applied("s2", Map.of(5, "5000-0"));
        assertThat(progress.overdue(5, 3 * S))
                .as("another shard's position does not count")
                .isTrue();
        progress.observe(5, "s2", "1200-0", 3 * S);
        assertThat(progress.overdue(5, 3 * S))
                .as("owner changed: the old observation is gone")
                .isFalse();
        assertThat(progress.overdue(5, 6 * S)).as("s2 reported 5000-0 already").isFalse();
        progress.observe(5, "s3", "1300-0", 6 * S);
        assertThat(progress.overdue(5, 6 * S + 2 * S + 1))
                .as("s3 has reported nothing")
                .isTrue();
    }

    @Test
    void partitionsWithoutAttachmentsAreForgotten() {
        progress.observe(9, "s1", "1000-0", 0);
        progress.observe(1, "s1", "1000-0", 0);
        progress.observe(2, "s1", "1000-0", 0);
        progress.retain(Map.of(1, "s1", 2, "s2"));
        assertThat(progress.overdue(9, 10 * S)).as("no attachments any more").isFalse();
        assertThat(progress.overdue(1, 10 * S)).as("same owner: kept").isTrue();
        assertThat(progress.overdue(2, 10 * S)).as("moved to another owner").isFalse();
    }

    @Test
    void aShardSendingTicksWithoutPositionsIsNotChecked() {
        progress.observe(4, "old", "1000-0", 0);
        progress.applied("old", null);
        assertThat(progress.overdue(4, 10 * S)).isFalse();
        progress.observe(4, "old", "2000-0", 10 * S);
        assertThat(progress.overdue(4, 20 * S)).isFalse();
        progress.applied("old", Map.of()); // upgraded: checked again
        progress.observe(4, "old", "3000-0", 20 * S);
        assertThat(progress.overdue(4, 23 * S)).isTrue();
    }

    /** A stream id written {@code t} ns into the test (ids grow with time, as Redis makes them). */
    static String head(long t) {
        return (1_700_000_000_000L + t / 1_000_000) + "-0";
    }
}
