package dev.livequery.loadgen;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar loadgen/target/livequery-loadgen.jar <run|record|replay|compare> …} */
@Command(name = "loadgen", mixinStandardHelpOptions = true, version = "livequery-loadgen 0.1.0",
        description = "Load generator and benchmark driver for livequery and its peers.",
        subcommands = {RunCommand.class, RecordCommand.class, ReplayCommand.class, CompareCommand.class})
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
