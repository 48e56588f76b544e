package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** One line per period, on a fake clock; the next line counts the ones left out. */
class LogPaceTest {
    @Test
    void oneLinePerPeriodAndTheNextCountsTheRest() {
        AtomicLong now = new AtomicLong(-5); // nanoTime may be negative
        LogPace pace = new LogPace(1000, now::get);
        assertThat(pace.admit()).isEqualTo(0);
        for (int i = 0; i < 7; i++) {
            now.addAndGet(100);
            assertThat(pace.admit()).isEqualTo(-1);
        }
        now.addAndGet(300); // a period after the first line
        assertThat(pace.admit()).isEqualTo(7);
        assertThat(pace.admit()).isEqualTo(-1);
        now.addAndGet(5000);
        assertThat(pace.admit()).isEqualTo(1);
        now.addAndGet(1000);
        assertThat(pace.admit()).isEqualTo(0);
    }
}
