package dev.livequery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientTokensTest {
    @TempDir
    Path dir;

    @Test
    void connectionsTakeTheLinesInTurnAndWritesTheTokenOrTheFirstLine() throws Exception {
        Path f = Files.writeString(dir.resolve("t.txt"), "a\n\n b \nc\n");
        ClientTokens only = ClientTokens.of(null, f);
        assertThat(only.writes()).isEqualTo("a");
        assertThat(only.forConnection(0)).isEqualTo("a");
        assertThat(only.forConnection(1)).isEqualTo("b");
        assertThat(only.forConnection(5)).isEqualTo("c");
        assertThat(ClientTokens.of("w", f).writes()).isEqualTo("w");
        ClientTokens one = ClientTokens.of("w", null);
        assertThat(one.forConnection(7)).isEqualTo("w");
        assertThat(ClientTokens.of(null, null).forConnection(0)).isNull();
    }

    @Test
    void anEmptyFileIsAMistake() throws Exception {
        Path f = Files.writeString(dir.resolve("e.txt"), "\n \n");
        assertThatThrownBy(() -> ClientTokens.of(null, f)).hasMessageContaining("no token");
    }
}
