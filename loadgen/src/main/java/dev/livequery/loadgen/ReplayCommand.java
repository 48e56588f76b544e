package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Replica;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code loadgen replay}: applies a recording to an empty window by splice semantics and prints the
 * final window, one row per line ({@code index, id, version, row}); exits 1 if a frame did not fit.
 */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = "Apply a JSONL recording and print the final window.")
final class ReplayCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "JSONL file written by 'loadgen record'")
    Path in;

    @Override
    public Integer call() throws Exception {
        Replica replica = Replica.lean(row -> row);
        long frames = 0;
        try (BufferedReader r = Files.newBufferedReader(in)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode f = Json.MAPPER.readTree(line);
                replica.apply(f, f.path("eid").asText(null));
                frames++;
            }
        }
        int i = 0;
        for (Replica.Item item : replica.items()) {
            ObjectNode n = Json.MAPPER.createObjectNode();
            n.put("index", i++);
            n.put("id", item.id());
            n.put("version", item.version());
            n.set("row", item.row());
            System.out.println(n);
        }
        System.err.printf(
                "loadgen: %d frames applied, window of %d rows, ready=%s, last eid %s%n",
                frames, replica.items().size(), replica.ready(), replica.lastEid());
        if (replica.broken() != null) {
            System.err.println("loadgen: the recording does not apply: " + replica.broken());
            return 1;
        }
        return 0;
    }
}
