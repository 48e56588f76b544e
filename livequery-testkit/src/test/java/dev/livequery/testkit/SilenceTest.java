package dev.livequery.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The rule of "stale without being told", on a clock the test controls. */
class SilenceTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aStretchOfDifferentAndUntoldLooksIsMeasuredFromItsFirstLook() {
        Silence s = new Silence();
        s.look(true, false, 0);
        s.look(false, false, 1 * S); // differs from here
        s.look(false, false, 2 * S);
        s.look(false, false, 4 * S);
        s.look(true, false, 5 * S); // caught up
        assertThat(s.longestNanos()).isEqualTo(3 * S);
        assertThat(s.longestStart()).isEqualTo(1 * S);
    }

    @Test
    void beingToldEndsAStretchAndTheLongestIsKept() {
        Silence s = new Silence();
        s.look(false, false, 0);
        s.look(false, false, 2 * S);
        s.look(false, true, 3 * S); // status stale: told
        s.look(false, true, 10 * S);
        s.look(false, false, 11 * S); // told live but still behind: a new stretch
        s.look(false, false, 12 * S);
        assertThat(s.longestNanos()).isEqualTo(2 * S);
        assertThat(s.longestStart()).isEqualTo(0);
    }

    @Test
    void aSingleDifferentLookIsNoSilence() {
        Silence s = new Silence();
        s.look(false, false, 0);
        s.look(true, false, 1);
        assertThat(s.longestNanos()).isZero();
        assertThat(s.longestStart()).isEqualTo(-1);
    }

    @Test
    void theCheckerLooksAtEveryClientAndSkipsLooksThatCannotBeJudged() throws Exception {
        AtomicInteger looks = new AtomicInteger();
        try (SilenceChecker c = new SilenceChecker(
                2,
                i -> {
                    looks.incrementAndGet();
                    return i == 0 ? new SilenceChecker.Look(false, false) : null;
                },
                Duration.ofMillis(5))) {
            while (c.perClientMs().get(0) < 30) {
                Thread.onSpinWait(); // client 0 is silent for ever: its stretch only grows
            }
            assertThat(c.perClientMs().get(1)).as("never judged").isZero();
            assertThat(c.longestFrom().get(0)).isNotNull();
            assertThat(c.longestFrom().get(1)).isNull();
        }
        assertThat(looks.get()).isGreaterThan(2);
    }
}
