package dev.livequery.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestTag;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** {@link Cluster}, {@link Browser} and {@link Slow}, seen the way surefire sees them: through the JUnit launcher. */
class RequirementsTest {
    static final AtomicBoolean RAN = new AtomicBoolean();

    @Browser
    static class NeedsChromium {
        @Test
        void opensAPage() {
            RAN.set(true);
        }
    }

    @Cluster
    static class NeedsRedis {
        @Test
        void startsRedis() {
            RAN.set(true);
        }
    }

    @Slow
    static class TakesLong {
        @Test
        void waits() {
            RAN.set(true);
        }
    }

    /** What the launcher reported for the sample class and its test: failures, and the tags surefire filters by. */
    record Run(List<Throwable> failures, Set<String> tags) {}

    static Run run(Class<?> sample) {
        RAN.set(false);
        List<Throwable> failures = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(
                LauncherDiscoveryRequestBuilder.request()
                        .selectors(selectClass(sample))
                        .build(),
                new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                        result.getThrowable().ifPresent(failures::add);
                        if (id.getParentId().isPresent()) { // the class and its tests, not the engine
                            id.getTags().stream().map(TestTag::getName).forEach(tags::add);
                        }
                    }
                });
        return new Run(failures, tags.stream().collect(Collectors.toSet()));
    }

    @Test
    void aMissingChromiumFailsWithOneLineNamingThePackage() {
        System.setProperty("chromium.path", "/nonexistent/chromium");
        Run r;
        try {
            r = run(NeedsChromium.class);
        } finally {
            System.clearProperty("chromium.path");
        }
        assertThat(RAN).as("the test body must not run").isFalse();
        assertThat(r.tags()).containsExactly("browser");
        assertThat(r.failures()).hasSize(1);
        Throwable t = r.failures().getFirst();
        assertThat(t)
                .isInstanceOf(Tools.MissingTool.class)
                .hasMessage("chromium not found at /nonexistent/chromium: apt-get install chromium "
                        + "(or -Dchromium.path=…, or bin/test --fast to skip the browser tests)");
        assertThat(t.getStackTrace()).isEmpty();
    }

    @Test
    void aPresentChromiumLetsTheTestRun() {
        System.setProperty("chromium.path", "/bin/sh"); // any executable: only presence is checked
        Run r;
        try {
            r = run(NeedsChromium.class);
        } finally {
            System.clearProperty("chromium.path");
        }
        assertThat(r.failures()).isEmpty();
        assertThat(RAN).isTrue();
    }

    @Test
    void clusterTestsAreTaggedAndNeedRedisServer() {
        Run r = run(NeedsRedis.class);
        assertThat(r.tags()).containsExactly("cluster");
        if (Tools.onPath("redis-server").isPresent()) {
            assertThat(r.failures()).isEmpty();
            assertThat(RAN).isTrue();
        } else {
            assertThat(r.failures()).hasSize(1);
            assertThat(r.failures().getFirst())
                    .isInstanceOf(Tools.MissingTool.class)
                    .hasMessageStartingWith("redis-server not found: apt-get install redis-server");
            assertThat(RAN).isFalse();
        }
    }

    @Test
    void slowTestsAreTagged() {
        Run r = run(TakesLong.class);
        assertThat(r.tags()).containsExactly("slow");
        assertThat(RAN).isTrue();
    }

    @Test
    void programsAreLookedUpOnThePath() {
        assertThat(Tools.onPath("sh")).isPresent();
        assertThat(Tools.onPath("no-such-program-livequery")).isEmpty();
    }
}
