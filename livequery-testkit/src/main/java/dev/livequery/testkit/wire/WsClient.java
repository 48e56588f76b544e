package dev.livequery.testkit.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.testkit.Replica;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A java.net.http WebSocket that keeps a {@link Replica} per sub and a log of every frame. */
public final class WsClient implements WebSocket.Listener, AutoCloseable {
    public static final HttpClient HTTP = HttpClient.newHttpClient();

    public final List<JsonNode> log = new CopyOnWriteArrayList<>();
    public final Map<String, Replica> replicas = new ConcurrentHashMap<>();
    public final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    public WebSocket ws;

    public static WsClient connect(int port) {
        return connect(port, null);
    }

    public static WsClient connect(int port, String origin) {
        WsClient c = new WsClient();
        WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (origin != null) {
            b.header("Origin", origin);
        }
        c.ws = b.buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/ws"), c).join();
        return c;
    }

    public void send(String json) {
        ws.sendText(json, true).join();
    }

    public Replica replica(String sub) {
        return replicas.computeIfAbsent(sub, s -> new Replica());
    }

    /** Frames with this op (and sub, when not null) received so far. */
    public List<JsonNode> frames(String op, String sub) {
        return log.stream()
                .filter(f -> f.path("op").asText().equals(op)
                        && (sub == null || sub.equals(f.path("sub").asText(null))))
                .toList();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            try {
                JsonNode f = WireJson.MAPPER.readTree(partial.toString());
                partial.setLength(0);
                if (f.hasNonNull("sub")) {
                    replica(f.get("sub").asText()).apply(f);
                }
                log.add(f);
            } catch (Exception | AssertionError e) {
                // a frame that does not parse or fit: the replica records it, the test decides
                closed.completeExceptionally(e);
            }
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            try {
                ws.sendClose(1000, "bye").get(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                ws.abort();
            }
        }
    }
}
