package dev.livequery.testkit.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Copies a child JVM's output to a log file line by line, so tests can watch it and print it on failure. */
final class ProcessLog {
    private ProcessLog() {}

    /**
     * Starts a daemon thread that writes each line of {@code p}'s output to {@code log} (flushed, so
     * a test reading the file sees it), hands it to {@code onLine}, and runs {@code onEnd} when the
     * output ends (the process exited or was killed).
     */
    static void pump(Process p, Path log, String name, Consumer<String> onLine, Runnable onEnd) {
        Thread t = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
                            var w = Files.newBufferedWriter(log)) {
                        String line;
                        while ((line = r.readLine()) != null) {
                            w.write(line);
                            w.newLine();
                            w.flush();
                            onLine.accept(line);
                        }
                    } catch (IOException ignored) {
                        // process gone
                    }
                    onEnd.run();
                },
                name);
        t.setDaemon(true);
        t.start();
    }
}
