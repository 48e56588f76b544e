package dev.livequery.testkit.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL for tests: {@code initdb} into a temp dir and {@code pg_ctl} on a free
 * loopback port with {@code wal_level=logical}. Never the machine's own server.
 *
 * <p>initdb refuses to run as root, so as root every server command runs as the {@code postgres}
 * OS user ({@code runuser -u postgres}, which the Debian package creates) over a directory it owns.
 */
// close() waits for pg_ctl: an interrupt there is the test's to see, not to swallow
@SuppressWarnings("try")
public final class PostgresProcess implements AutoCloseable {
    private static final Path BIN = findBin();

    private final Path dir;
    private final int port;

    private PostgresProcess(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Whether initdb and pg_ctl exist here (tests are skipped with a clear reason otherwise). */
    public static boolean available() {
        return BIN != null;
    }

    /**
     * On a free port. A port found free here can be taken by another process before the server
     * binds it: then another free port is tried.
     */
    public static PostgresProcess start() throws IOException, InterruptedException {
        if (BIN == null) {
            throw new IllegalStateException(
                    "initdb not found under /usr/lib/postgresql/*/bin: apt-get install postgresql");
        }
        Path dir = initdb();
        for (int attempt = 1; ; attempt++) {
            try {
                return start(dir, RedisProcess.freePort());
            } catch (PortTaken e) {
                if (attempt == 5) {
                    Dirs.delete(dir);
                    throw e;
                }
            }
        }
    }

    /** A fresh cluster in a temp directory, not started. */
    static Path initdb() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("lq-pg");
        if (root()) {
            run(List.of("chown", "postgres", dir.toString()), false);
        }
        run(
                List.of(
                        BIN.resolve("initdb").toString(),
                        "-D",
                        dir.resolve("data").toString(),
                        "-U",
                        "postgres",
                        "-A",
                        "trust",
                        "-E",
                        "UTF8",
                        "--no-sync",
                        "--no-locale"),
                true);
        return dir;
    }

    /**
     * On {@code port}; {@link PortTaken} if another process holds it. A port found free can be
     * taken before the server binds it, so {@link #start()} tries another one then.
     */
    static PostgresProcess start(Path dir, int port) throws IOException, InterruptedException {
        PostgresProcess p = new PostgresProcess(dir, port);
        p.startServer();
        return p;
    }

    private void startServer() throws IOException, InterruptedException {
        Path log = dir.resolve("log");
        long logged = Files.exists(log) ? Files.size(log) : 0;
        String opts = "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir
                + " -c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10 -c fsync=off"
                + " -c synchronous_commit=off -c full_page_writes=off";
        try {
            run(
                    List.of(
                            BIN.resolve("pg_ctl").toString(),
                            "-D",
                            dir.resolve("data").toString(),
                            "-l",
                            dir.resolve("log").toString(),
                            "-w",
                            "-t",
                            "60",
                            "-o",
                            opts,
                            "start"),
                    true);
        } catch (IOException e) {
            String tail = Files.exists(log) ? Files.readString(log).substring((int) logged) : "";
            if (tail.contains("Address already in use")) {
                throw new PortTaken("postgres on port " + port + " could not bind it: " + tail.strip());
            }
            throw e;
        }
    }

    /** Stops the server (fast: in-flight sessions are cut, committed data stays) and starts it again on the same port. */
    public void restart() throws IOException, InterruptedException {
        stopServer("fast");
        startServer();
    }

    /** Stops the server (fast) and leaves it down: clients get connection refused until {@link #startAgain()}. */
    public void stop() throws IOException, InterruptedException {
        stopServer("fast");
    }

    /** Starts a stopped server again on the same port and data directory. */
    public void startAgain() throws IOException, InterruptedException {
        startServer();
    }

    public int port() {
        return port;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), "postgres", "");
    }

    /** Runs each statement, in order, on one connection (autocommit). */
    public void execute(String... statements) throws SQLException {
        try (Connection c = connect();
                java.sql.Statement s = c.createStatement()) {
            for (String q : statements) {
                s.execute(q);
            }
        }
    }

    /** The server log, for failure messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void stopServer(String mode) throws IOException, InterruptedException {
        run(
                List.of(
                        BIN.resolve("pg_ctl").toString(),
                        "-D",
                        dir.resolve("data").toString(),
                        "-w",
                        "-m",
                        mode,
                        "stop"),
                true);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            stopServer("immediate");
        } finally {
            Dirs.delete(dir);
        }
    }

    private static void run(List<String> command, boolean asPostgres) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asPostgres && root()) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + new String(out));
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static Path findBin() {
        Path base = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(base)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(base)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(Path::toString))
                    .orElse(null);
        } catch (IOException e) {
            return null;
        }
    }
}
