package dev.livequery.testkit.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A shard as a separate JVM (java -cp of the test classpath), so tests can SIGKILL or SIGSTOP it. */
public final class ShardProcess implements AutoCloseable {
    /** Named, not linked: the test kit is built before the shard and depends on no livequery module. */
    private static final String MAIN = "dev.livequery.shard.ShardMain";

    public final String id;
    public final Process process;
    public final Path log;

    private ShardProcess(String id, Process process, Path log) {
        this.id = id;
        this.process = process;
        this.log = log;
    }

    public static ShardProcess start(String id, String redisUri, Duration ttl, String... options) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("lq.test.classpath", System.getProperty("java.class.path"));
        Path log = Files.createTempFile("lq-shard-" + id, ".log");
        List<String> cmd = new java.util.ArrayList<>(List.of(
                java,
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                cp,
                MAIN,
                "--id",
                id,
                "--redis",
                redisUri,
                "--ttl",
                ttl.toString()));
        cmd.addAll(List.of(options));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CountDownLatch ready = new CountDownLatch(1);
        ProcessLog.pump(
                p,
                log,
                "shard-" + id + "-log",
                line -> {
                    if (line.contains("READY")) {
                        ready.countDown();
                    }
                },
                () -> {});
        if (!ready.await(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("shard " + id + " did not start; log: " + Files.readString(log));
        }
        return new ShardProcess(id, p, log);
    }

    public void sigkill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    public void signal(String sig) throws Exception {
        Signals.send(process, sig);
    }

    @Override
    public void close() {
        try {
            closeOrThrow();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void closeOrThrow() throws Exception {
        if (process.isAlive()) {
            signal("CONT");
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        Files.deleteIfExists(log);
    }
}
