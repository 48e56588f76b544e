package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import java.io.BufferedWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code loadgen record}: one WebSocket subscription's frames, one JSON object per line, as received. */
@Command(name = "record", mixinStandardHelpOptions = true, description = "Record one subscription's frames to JSONL.")
final class RecordCommand implements Callable<Integer> {
    @Option(names = "--url", description = "gateway base URL (default: ${DEFAULT-VALUE})")
    URI url = URI.create("http://127.0.0.1:8080");

    @Option(
            names = "--query",
            required = true,
            description = "the query JSON of PROTOCOL §2, e.g. "
                    + "'{\"table\":\"bench\",\"order\":[{\"field\":\"ts\",\"dir\":\"desc\"}],\"limit\":20}'")
    String query;

    @Option(names = "--resume", description = "an eid to resume from")
    String resume;

    @Option(
            names = {"-o", "--out"},
            required = true,
            description = "JSONL file to write")
    Path out;

    @Option(
            names = {"-d", "--duration"},
            description = "seconds to record (default: ${DEFAULT-VALUE})")
    int duration = 10;

    @Option(names = "--frames", description = "stop after this many frames (default: ${DEFAULT-VALUE})")
    long maxFrames = 1_000_000;

    @Override
    public Integer call() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong count = new AtomicLong();
        try (BufferedWriter w = Files.newBufferedWriter(out)) {
            WebSocket.Listener listener = new WebSocket.Listener() {
                private final StringBuilder partial = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                    partial.append(data);
                    if (last) {
                        synchronized (w) {
                            try {
                                w.write(partial.toString());
                                w.newLine();
                            } catch (java.io.IOException e) {
                                done.countDown();
                            }
                        }
                        partial.setLength(0);
                        if (count.incrementAndGet() >= maxFrames) {
                            done.countDown();
                        }
                    }
                    ws.request(1);
                    return null;
                }

                @Override
                public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                    done.countDown();
                    return null;
                }

                @Override
                public void onError(WebSocket ws, Throwable error) {
                    done.countDown();
                }
            };
            URI ws = URI.create(url.toString().replaceFirst("^http", "ws")).resolve("/v1/ws");
            WebSocket socket = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .buildAsync(ws, listener)
                    .get(15, TimeUnit.SECONDS);
            ObjectNode cmd = Json.MAPPER.createObjectNode();
            cmd.put("action", "subscribe");
            cmd.put("sub", "rec");
            cmd.set("query", Json.MAPPER.readTree(query));
            if (resume != null) {
                cmd.put("resume", resume);
            }
            socket.sendText(cmd.toString(), true).get(15, TimeUnit.SECONDS);
            done.await(duration, TimeUnit.SECONDS);
            socket.abort();
            synchronized (w) {
                w.flush();
            }
        }
        System.err.printf("loadgen: recorded %d frames to %s%n", count.get(), out);
        return 0;
    }
}
