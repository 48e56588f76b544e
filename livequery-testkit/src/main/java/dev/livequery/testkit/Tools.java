package dev.livequery.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The programs some tests start, found the way a user would install them (the Debian packages),
 * or refused with one line naming the package.
 */
public final class Tools {
    private Tools() {}

    /** {@code redis-server} on the PATH. */
    public static Path redisServer() {
        return onPath("redis-server")
                .orElseThrow(
                        () -> new MissingTool(
                                "redis-server not found: apt-get install redis-server (or bin/test --fast to skip the cluster tests)"));
    }

    /** Chromium: {@code -Dchromium.path}, {@code $CHROME_BIN}, or the Debian package's binary. */
    public static Path chromium() {
        String p = System.getProperty("chromium.path", System.getenv("CHROME_BIN"));
        Stream<String> candidates =
                p != null ? Stream.of(p) : Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
        return candidates
                .map(Path::of)
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow(() -> new MissingTool("chromium not found" + (p != null ? " at " + p : "")
                        + ": apt-get install chromium (or -Dchromium.path=…,"
                        + " or bin/test --fast to skip the browser tests)"));
    }

    static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, program))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /**
     * A program the test needs is not installed. It has no stack trace: the message says all there
     * is to say, and a trace would bury it.
     */
    public static final class MissingTool extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MissingTool(String message) {
            super(message, null, false, false);
        }
    }
}
