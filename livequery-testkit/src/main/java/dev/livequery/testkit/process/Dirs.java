package dev.livequery.testkit.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** The launchers' scratch directories. */
final class Dirs {
    private Dirs() {}

    /** Deletes {@code dir} and everything in it. */
    static void delete(Path dir) throws IOException {
        deleteIn(dir, p -> false);
        Files.deleteIfExists(dir);
    }

    /** Deletes what is in {@code dir}, deepest first, except the paths {@code keep} names (and their parents). */
    static void deleteIn(Path dir, Predicate<Path> keep) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder())
                    .filter(p -> !p.equals(dir) && !keep.test(p))
                    .forEach(p -> p.toFile().delete());
        }
    }
}
