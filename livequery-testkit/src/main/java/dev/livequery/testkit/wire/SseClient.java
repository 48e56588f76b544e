package dev.livequery.testkit.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.testkit.Replica;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * An EventSource-like client over {@code BodyHandlers.ofLines()}: applies {@code message} events
 * to a {@link Replica}, remembers the last {@code id:}, and can stop after N events to simulate a
 * cut at an exact point.
 */
// close() waits for the reader to end: an interrupt there is the test's to see, not to swallow
@SuppressWarnings("try")
public final class SseClient implements AutoCloseable {
    public final Replica replica;
    public final List<String> lines = new CopyOnWriteArrayList<>();
    public final List<String> eventNames = new CopyOnWriteArrayList<>();
    public final CountDownLatch ended = new CountDownLatch(1);
    /** Why the reader stopped early (a frame that did not parse or apply, a cut), for failure messages. */
    public volatile Throwable failure;

    public final int status;
    public final String body;
    private final Stream<String> stream;
    /** Frames to apply before hanging up; fixed before the reader starts, so the cut is exact. */
    private final int stopAfter;

    private int applied;

    private SseClient(Replica replica, HttpResponse<Stream<String>> res, int stopAfter) {
        this.stopAfter = stopAfter;
        this.replica = replica;
        this.status = res.statusCode();
        this.stream = res.body();
        if (status != 200) {
            this.body = String.join("\n", stream.toList());
            ended.countDown();
            return;
        }
        this.body = null;
        Thread.ofVirtual().start(this::read);
    }

    public static SseClient open(int port, String pathAndQuery, String lastEventId, Replica start) throws Exception {
        return open(port, pathAndQuery, lastEventId, start, Integer.MAX_VALUE);
    }

    public static SseClient open(int port, String pathAndQuery, String lastEventId, Replica start, int stopAfter)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> res = WsClient.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofLines());
        return new SseClient(start == null ? new Replica() : start, res, stopAfter);
    }

    private void read() {
        String id = null;
        String event = null;
        StringBuilder data = null;
        try {
            for (Iterator<String> it = stream.iterator(); it.hasNext(); ) {
                String line = it.next();
                lines.add(line);
                if (line.isEmpty()) {
                    if (data != null) {
                        eventNames.add(event == null ? "message" : event);
                        if (event == null) {
                            JsonNode f = WireJson.MAPPER.readTree(data.toString());
                            replica.apply(f);
                            if (++applied >= stopAfter) {
                                return;
                            }
                        }
                    }
                    id = null;
                    event = null;
                    data = null;
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = new StringBuilder(line.substring(6));
                }
            }
        } catch (Exception | AssertionError e) {
            failure = e; // a cut or a frame that does not fit (the replica records it): the test decides
        } finally {
            ended.countDown();
            stream.close();
        }
    }

    /** For failure messages: whether the stream is still read, and if not, why. */
    public String state() {
        return ended.getCount() > 0 ? "open" : "ended" + (failure == null ? "" : " (" + failure + ")");
    }

    /** Drops the connection, as a network cut would. */
    @Override
    public void close() throws InterruptedException {
        stream.close();
        ended.await();
    }
}
