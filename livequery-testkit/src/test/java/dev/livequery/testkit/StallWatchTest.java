package dev.livequery.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A stop of this very JVM, which is what a stalled host does to it, is measured. */
class StallWatchTest {
    @Test
    void aStopOfThisJvmShowsAsAStallNoLongerThanTheTimeItTook() throws Exception {
        long t0 = System.nanoTime();
        try (StallWatch watch = StallWatch.start()) {
            long pid = ProcessHandle.current().pid();
            // A child stops this JVM and lets it go 400 ms later (the child is not stopped with it).
            Process p = new ProcessBuilder("sh", "-c", "kill -STOP " + pid + "; sleep 0.4; kill -CONT " + pid).start();
            assertThat(p.waitFor()).isZero();
            long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(watch.longestMs()).isBetween(350L, elapsedMs);
        }
    }
}
