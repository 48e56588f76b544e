package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code loadgen targets}: the fan-out targets judged from a {@code bench/run} results directory
 * ({@link Targets}). Exit 1 when a livequery run was not verified or any replica mismatched.
 */
@Command(
        name = "targets",
        mixinStandardHelpOptions = true,
        description = "One line per fan-out target (median, spread, met/missed); last line 'fanout: ...'.")
final class TargetsCommand implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "bench/run results directory (<label>.json files)")
    Path dir;

    @Option(
            names = "--rates",
            split = ",",
            description = "write rates of the side-by-side runs (default: ${DEFAULT-VALUE})")
    List<Integer> rates = new ArrayList<>(List.of(100, 300, 1000));

    @Option(names = "--standard-rate", description = "rate of the standard workload (default: ${DEFAULT-VALUE})")
    int standardRate = 100;

    @Option(
            names = {"-o", "--out"},
            description = "also write the lines to this file")
    Path out;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new ParameterException(spec.commandLine(), "--dir " + dir + " is not a directory");
        }
        if (rates.stream().anyMatch(r -> r <= 0) || standardRate <= 0) {
            throw new ParameterException(spec.commandLine(), "rates must be positive");
        }
        Map<String, JsonNode> runs = new HashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json"))
                    .toList()) {
                JsonNode root = Json.MAPPER.readTree(f.toFile());
                if (root.path("config").has("name")) { // a loadgen run, not some other JSON
                    runs.put(root.path("config").path("name").asText(), root);
                }
            }
        }
        Targets t = new Targets(runs, rates, standardRate);
        List<String> lines = t.lines();
        lines.forEach(System.out::println);
        if (out != null) {
            Files.write(out, lines);
        }
        return t.verified() ? 0 : 1;
    }
}
