package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.livequery.core.EngineOptions;
import dev.livequery.core.LocalBackend;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.PostgresProcess;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A Postgres that accepts TCP and then says nothing: a server frozen (SIGSTOP here, a hung host
 * or a black-holed network in production), or a listener that never speaks. Debezium makes its
 * heartbeats itself, so they keep coming; the source must still see that Postgres does not answer
 * and say {@code reconnecting} (and never block for ever on a connection of its own).
 */
@Slow
class PostgresSourceFrozenTest {
    PostgresProcess pg;
    /** Processes this test stopped with SIGSTOP, continued in {@link #thawAndStop}. */
    final java.util.List<String> frozen = new java.util.ArrayList<>();

    @AfterEach
    void thawAndStop() throws Exception {
        try {
            thaw();
        } finally {
            if (pg != null) {
                pg.close();
            }
        }
    }

    /** A listener that accepts connections (the kernel's backlog does) and never answers. */
    @Test
    void aListenerThatNeverSpeaksIsRefusedAtStartNotWaitedForForEver() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            PostgresSourceConfig config = config("jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/postgres");
            SourceException e = assertTimeoutPreemptively(
                    Duration.ofSeconds(60),
                    () -> catchThrowableOfType(
                            SourceException.class,
                            () -> PostgresSource.start(config, new LocalBackend(EngineOptions.defaults()))));
            assertThat(e).as("start against a silent listener").isNotNull();
            assertThat(e.code()).isEqualTo(SourceException.Code.UNREACHABLE);
            assertThat(e.line()).startsWith("source_unreachable: ");
        }
    }

    /**
     * The whole server frozen while streaming: the source says reconnecting within a few
     * seconds of {@link SilenceWatch#SILENCE}, and streams on, without a gap, once it thaws.
     */
    @Test
    void aFrozenPostgresIsReconnectingAndTheSourceStreamsOnOnceItThaws() throws Exception {
        pg = PostgresProcess.start();
        sql("create table items (id int primary key, v int)", "insert into items values (1, 1)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(pg.jdbcUrl()), b)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> src.state() == PostgresSource.State.STREAMING);
            sql("insert into items values (2, 2)");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> PostgresSourceOutageTest.ids(b).contains("2"));

            freezeServer();
            try {
                await().atMost(Duration.ofSeconds(45)).until(() -> src.state() != PostgresSource.State.STREAMING);
                assertThat(src.state()).isEqualTo(PostgresSource.State.RECONNECTING);
                assertThat(src.health()).containsEntry("state", "reconnecting");
                assertThat(src.gauges()).containsEntry("source_streaming", 0L);
                assertThat(src.ready())
                        .as("its tables are exact as of its position")
                        .isTrue();
            } finally {
                thaw(); // before the source closes, which asks Postgres to drop the slot
            }
            sql("insert into items values (3, 3)");
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(
                            () -> assertThat(PostgresSourceOutageTest.rows(b)).containsExactly("1=1", "2=2", "3=3"));
            await().atMost(Duration.ofSeconds(30)).until(() -> src.state() == PostgresSource.State.STREAMING);
            assertThat(src.error()).isNull();
        }
    }

    /**
     * Only the replication connection's server end frozen (its walsender stopped; other
     * connections are answered): nothing the source sends on it is heard, which is what a
     * black-holed replication connection looks like from the server. Debezium's local heartbeats
     * go on; the source must say reconnecting, and streaming once the walsender hears it again.
     */
    @Test
    void aReplicationConnectionTheServerNoLongerHearsIsReconnecting() throws Exception {
        pg = PostgresProcess.start();
        sql("create table items (id int primary key, v int)", "insert into items values (1, 1)");
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        try (PostgresSource src = PostgresSource.start(config(pg.jdbcUrl()), b)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> src.state() == PostgresSource.State.STREAMING);
            int walsender = walsenderPid();

            freeze(Integer.toString(walsender));
            try {
                await().atMost(Duration.ofSeconds(45)).until(() -> src.state() != PostgresSource.State.STREAMING);
                assertThat(src.state()).isEqualTo(PostgresSource.State.RECONNECTING);
                assertThat(src.health()).containsEntry("state", "reconnecting");
            } finally {
                thaw();
            }
            sql("insert into items values (2, 2)");
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(
                            () -> assertThat(PostgresSourceOutageTest.rows(b)).containsExactly("1=1", "2=2"));
            await().atMost(Duration.ofSeconds(30)).until(() -> src.state() == PostgresSource.State.STREAMING);
            assertThat(src.error()).isNull();
        }
    }

    /**
     * Stops the postmaster, then each of its children (every backend, the walsender too; each is
     * a session of its own, so not one process group). The postmaster first: with it stopped, no
     * child starts, and none that exits is reaped, until {@link #thaw}. A child that has exited
     * already (a zombie: a connection that just closed) is dead, not frozen, and is left out.
     */
    void freezeServer() throws Exception {
        int postmaster = postmasterPid();
        freeze(Integer.toString(postmaster));
        Process p = new ProcessBuilder("ps", "-o", "pid=,stat=", "--ppid", Integer.toString(postmaster)).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        for (String line : out.strip().split("\n")) {
            String[] pidAndState = line.strip().split("\\s+");
            if (!pidAndState[1].startsWith("Z")) {
                freeze(pidAndState[0]);
            }
        }
        assertThat(frozen).as("the postmaster and its children").hasSizeGreaterThan(3);
    }

    /**
     * The server's postmaster: the first line of postmaster.pid. Returns once the backend of the
     * connection it asked on has gone, so that {@link #freezeServer} does not find it exiting.
     */
    int postmasterPid() throws Exception {
        String dir;
        int backend;
        try (Connection c = pg.connect();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select current_setting('data_directory'), pg_backend_pid()")) {
            r.next();
            dir = r.getString(1);
            backend = r.getInt(2);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> !exists(backend));
        return Integer.parseInt(
                Files.readAllLines(Path.of(dir, "postmaster.pid")).getFirst().strip());
    }

    /** Whether {@code pid} names a process, a zombie included (it is gone once its parent reaps it). */
    static boolean exists(int pid) throws Exception {
        Process p = new ProcessBuilder("ps", "-o", "pid=", "-p", Integer.toString(pid)).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return !out.isBlank();
    }

    /** The walsender streaming the slot. */
    int walsenderPid() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> activePid() > 0);
        return activePid();
    }

    int activePid() throws Exception {
        try (Connection c = pg.connect();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery(
                        "select coalesce(active_pid, 0) from pg_replication_slots where slot_name = 'livequery'")) {
            return r.next() ? r.getInt(1) : 0;
        }
    }

    /** SIGSTOP to a pid; one that has exited meanwhile is not frozen, and left out. */
    void freeze(String target) throws Exception {
        if (kill("-STOP", target)) {
            frozen.add(target);
        }
    }

    /**
     * SIGCONT to every frozen process, the last frozen first (the postmaster last: a child cannot
     * be reaped before it is continued). One that no longer exists has nothing to continue. The
     * list is empty afterwards, whatever failed.
     */
    void thaw() throws Exception {
        java.util.List<String> targets = new java.util.ArrayList<>(frozen.reversed());
        frozen.clear();
        AssertionError failed = null;
        for (String target : targets) {
            try {
                kill("-CONT", target);
            } catch (AssertionError e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** {@code kill signal target}: true if it was sent, false if no such process exists (any more). */
    static boolean kill(String signal, String target) throws Exception {
        Process p = new ProcessBuilder("kill", signal, "--", target)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        if (p.exitValue() != 0 && out.contains("No such process")) {
            return false;
        }
        assertThat(p.exitValue()).as("kill %s %s: %s", signal, target, out).isZero();
        return true;
    }

    void sql(String... statements) throws Exception {
        pg.execute(statements);
    }

    static PostgresSourceConfig config(String url) throws SourceException {
        Map<String, String> m = new HashMap<>();
        m.put("livequery.sources.postgres.url", url);
        m.put("livequery.sources.postgres.user", "postgres");
        m.put("livequery.sources.postgres.tables.0.source", "public.items");
        m.put("livequery.sources.postgres.tables.0.table", "items");
        return PostgresSourceConfig.from(Config.just(ConfigSources.create(m)).get("livequery.sources.postgres"));
    }
}
