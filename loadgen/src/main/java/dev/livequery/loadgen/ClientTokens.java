package dev.livequery.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JWTs of a run against a jwt gateway (PROTOCOL §9): one for everything ({@code --token}), or
 * one per connection from a file ({@code --token-file}, connection c takes line c mod lines), so
 * that subscribers can carry different read filters and their views split by filter. Writes use
 * {@code --token}, else the first line; the verifier reads a client's shapes with that client's
 * token, so it compares each replica with what its own token may see.
 */
final class ClientTokens {
    private final String writes;
    private final List<String> lines;

    private ClientTokens(String writes, List<String> lines) {
        this.writes = writes;
        this.lines = lines;
    }

    /** Null token and file: no tokens (a none-mode gateway or a peer). */
    static ClientTokens of(String token, Path file) throws IOException {
        if (file == null) {
            return new ClientTokens(token, List.of());
        }
        List<String> lines = Files.readAllLines(file).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty())
                .toList();
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("--token-file " + file + " holds no token");
        }
        return new ClientTokens(token != null ? token : lines.get(0), lines);
    }

    /** The token of writes and seeding (null: none). */
    String writes() {
        return writes;
    }

    /** The token of connection {@code c} (WebSockets numbered first, then SSE streams). */
    String forConnection(int c) {
        return lines.isEmpty() ? writes : lines.get(c % lines.size());
    }
}
