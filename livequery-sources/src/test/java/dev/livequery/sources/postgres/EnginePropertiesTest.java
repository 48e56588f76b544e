package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.livequery.sources.postgres.PostgresSourceConfig.TableMapping;
import dev.livequery.testkit.Logged;
import java.util.List;
import java.util.Properties;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/** Credentials: never in a log line or an error; the replication connection as secure as the catalog's. */
class EnginePropertiesTest {
    static PostgresSourceConfig config(String url) {
        return new PostgresSourceConfig(
                url, "cfguser", "cfgpass", "s", "p", List.of(new TableMapping("public", "t", "t", "id")), false);
    }

    @Test
    void urlsAreRedactedButKeepWhereAndHowToConnect() {
        assertThat(JdbcUrls.redact("cannot connect to jdbc:postgresql://db:5432/app?user=u&password=s3cret&sslmode"
                        + "=require&sslpassword=k3y as 'u': refused"))
                .isEqualTo("cannot connect to jdbc:postgresql://db:5432/app?user=u&password=<redacted>&sslmode=require"
                        + "&sslpassword=<redacted> as 'u': refused");
        assertThat(JdbcUrls.redact("jdbc:postgresql://u:s3cret@db/app")).doesNotContain("s3cret");
        assertThat(JdbcUrls.redactUrl("postgres://u:s3cret@db/app?password=s3cret"))
                .doesNotContain("s3cret");
        assertThat(config("jdbc:postgresql://db/app?password=s3cret").toString())
                .doesNotContain("s3cret")
                .doesNotContain("cfgpass");
    }

    @Test
    void theReplicationConnectionUsesTheUrlsCredentialsAndSsl() throws Exception {
        Properties p = EngineProperties.of(
                config("jdbc:postgresql://db:6432/app?user=urluser&password=urlpass&ssl=true&sslrootcert=/ca.pem"
                        + "&sslcert=/c.pem&sslkey=/k.pk8"),
                "k");
        assertThat(p)
                .containsEntry("database.hostname", "db")
                .containsEntry("database.port", "6432")
                .containsEntry("database.user", "urluser")
                .containsEntry("database.password", "urlpass")
                .containsEntry("database.sslmode", "verify-full") // PgJDBC's meaning of ssl=true
                .containsEntry("database.sslrootcert", "/ca.pem")
                .containsEntry("database.sslcert", "/c.pem")
                .containsEntry("database.sslkey", "/k.pk8");
        Properties plain = EngineProperties.of(config("jdbc:postgresql://db/app?ssl=true&sslmode=require"), "k");
        assertThat(plain)
                .containsEntry("database.user", "cfguser")
                .containsEntry("database.password", "cfgpass")
                .containsEntry("database.sslmode", "require");
    }

    /** An unreachable database: the error and every log line name the URL without its password. */
    @Test
    void aFailedStartNamesTheUrlWithoutThePassword() {
        Logged logged = Logged.by("dev.livequery.sources.postgres");
        try {
            SourceException e = catchThrowableOfType(
                    SourceException.class,
                    () -> PostgresSource.start(
                                    config("jdbc:postgresql://127.0.0.1:1/app?password=s3cret&connectTimeout=2"),
                                    new dev.livequery.core.LocalBackend(dev.livequery.core.EngineOptions.defaults()))
                            .close());
            assertThat(e).isNotNull();
            assertThat(e.line())
                    .startsWith("source_unreachable: ")
                    .contains("127.0.0.1:1/app")
                    .doesNotContain("s3cret");
            assertThat(logged.messages(Level.ALL)).noneMatch(x -> x.contains("s3cret"));
        } finally {
            logged.close();
        }
    }
}
