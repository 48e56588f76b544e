package dev.livequery.loadgen;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar loadgen/target/livequery-loadgen.jar <run|record|replay|compare|targets> …} */
@Command(
        name = "loadgen",
        mixinStandardHelpOptions = true,
        version = "livequery-loadgen 0.1.0",
        description = "Load generator and benchmark driver for livequery and its peers.",
        subcommands = {
            RunCommand.class,
            RecordCommand.class,
            ReplayCommand.class,
            CompareCommand.class,
            TargetsCommand.class
        })
public final class Main {
    private Main() {}

    /**
     * The JDK's HTTP client gives every WebSocket a 16 KB write buffer, a 16 KB encoder buffer and
     * a 16 KB read buffer it keeps until that fills, all for the connection's life. Our messages
     * are a few hundred bytes (longer ones are written and read in pieces), so 10k connections held
     * ~480 MB for nothing and every (re)connect round spent its time in young GCs copying them.
     * 2 KB write buffers and 4 KB read buffers unless set on the command line; must run before the
     * client's classes load (the read size is a static constant).
     */
    static void smallWebSocketBuffers() {
        String[][] sizes = {
            {"jdk.httpclient.websocket.writeBufferSize", "2048"},
            {"jdk.httpclient.websocket.intermediateBufferSize", "2048"},
            {"jdk.httpclient.bufsize", "4096"}
        };
        for (String[] p : sizes) {
            if (System.getProperty(p[0]) == null) {
                System.setProperty(p[0], p[1]);
            }
        }
    }

    public static void main(String[] args) {
        smallWebSocketBuffers();
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
