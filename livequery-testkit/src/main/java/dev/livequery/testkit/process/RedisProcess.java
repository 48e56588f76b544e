package dev.livequery.testkit.process;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;

/** A redis-server of the test's own, on a free loopback port, that the test can kill and restart. */
public final class RedisProcess implements AutoCloseable {
    public final int port;
    public final Path dir;
    private final boolean aof;
    private final List<String> extra;
    private Process process;

    private RedisProcess(int port, Path dir, boolean aof, List<String> extra) {
        this.port = port;
        this.dir = dir;
        this.aof = aof;
        this.extra = extra;
    }

    /**
     * On a free port. A port found free here can be taken by another process before redis-server
     * binds it (a busy machine, tests of other modules): then another free port is tried.
     */
    public static RedisProcess start(boolean aof, String... extra) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return start(freePort(), aof, extra);
            } catch (PortTaken e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    public static RedisProcess start(int port, boolean aof, String... extra) throws IOException {
        RedisProcess r = new RedisProcess(port, Files.createTempDirectory("lq-redis"), aof, List.of(extra));
        try {
            r.launch();
        } catch (IOException e) {
            r.close(); // its directory
            throw e;
        }
        return r;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A free port whose Cluster bus port (+10000) is free too. */
    public static int freeClusterPort() throws IOException {
        for (int i = 0; i < 200; i++) {
            int p = 20000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(30000);
            try (ServerSocket a = new ServerSocket(p);
                    ServerSocket b = new ServerSocket(p + 10000)) {
                return a.getLocalPort() + 0 * b.getLocalPort();
            } catch (IOException busy) {
                // try another
            }
        }
        throw new IOException("no free port pair for a Redis Cluster node");
    }

    public void launch() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                "redis-server",
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                aof ? "yes" : "no",
                "--appendfsync",
                "always",
                "--dir",
                dir.toString(),
                "--protected-mode",
                "no"));
        cmd.addAll(extra);
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        // alive as well as answering: a PONG on a port whose bind failed would be another server's
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> !process.isAlive() || answers());
        if (!process.isAlive()) {
            String log = Files.readString(dir.resolve("redis.log"));
            String message = "redis-server on port " + port + " exited at start: " + log.strip();
            if (log.contains("Address already in use")) {
                throw new PortTaken(message);
            }
            throw new IOException(message);
        }
    }

    public boolean answers() {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write("PING\r\n".getBytes());
            byte[] b = new byte[7];
            int n = s.getInputStream().read(b);
            return n > 0 && new String(b, 0, n).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** SIGKILL: whatever AOF has synced survives (appendfsync always: everything acknowledged). */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Sends a signal ({@code STOP}, {@code CONT}) to the server: a paused node answers nothing, not even its replication link. */
    public void signal(String sig) throws Exception {
        Signals.send(process, sig);
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** Drops the data files, so the next launch starts empty (a Redis that lost its data). */
    public void wipe() throws IOException {
        Dirs.deleteIn(dir, p -> p.endsWith("redis.log"));
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
        if (process != null) {
            kill();
        }
        Dirs.delete(dir);
    }
}
