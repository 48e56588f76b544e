package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.stream.Stream;

/**
 * The frames of one SSE subscription in a latency benchmark ({@link ClusterLatency},
 * {@link PgLatency}): each frame with the {@link System#nanoTime()} it arrived at, which the
 * benchmark subtracts the writer's stamp in the row from (same JVM, same clock).
 */
final class LatencyStream {
    /** What a benchmark does with each frame. */
    interface Handler {
        void frame(JsonNode f, long arrivedNanos);
    }

    private LatencyStream() {}

    /** Reads on the calling thread until the stream ends or the run closes it. */
    static void read(HttpResponse<Stream<String>> sse, Handler handler) {
        SseEvents events = new SseEvents((data, id) -> {
            long now = System.nanoTime();
            handler.frame(FrameJson.parse(data), now);
        });
        try {
            sse.body().forEach(events::line);
        } catch (UncheckedIOException ended) {
            // the run closed the stream: done
        }
    }
}
