package dev.livequery.loadgen;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The part every WebSocket client shares: message assembly, one-at-a-time sends, and read demand
 * that can be withheld ({@link #pause}) — java.net.http reads only what {@code request(n)} asked for,
 * so withholding demand is exactly "this client stopped reading".
 */
abstract class WsClient implements LiveClient, WebSocket.Listener {
    protected final HttpClient http;
    protected final URI uri;
    protected final Stats stats;
    protected volatile boolean slow;
    private volatile WebSocket ws;
    private volatile boolean paused;
    private final AtomicBoolean owed = new AtomicBoolean();
    private final StringBuilder partial = new StringBuilder();
    private CompletableFuture<?> sendTail = CompletableFuture.completedFuture(null);
    private volatile int closeCode = -1;
    private volatile boolean gone;
    protected volatile CompletableFuture<Void> ready = new CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicLongArray marks =
            new java.util.concurrent.atomic.AtomicLongArray(Marks.values().length);

    WsClient(HttpClient http, URI uri, Stats stats) {
        this.http = http;
        this.uri = uri;
        this.stats = stats;
    }

    @Override
    public CompletableFuture<Void> connect() {
        for (int i = 0; i < marks.length(); i++) {
            marks.set(i, 0);
        }
        mark(Marks.START);
        ready = new CompletableFuture<>();
        gone = false;
        closeCode = -1;
        synchronized (this) {
            sendTail = CompletableFuture.completedFuture(null);
            partial.setLength(0);
        }
        http.newWebSocketBuilder().buildAsync(uri, this).whenComplete((w, e) -> {
            if (e != null) {
                ready.completeExceptionally(e);
            }
        });
        return ready;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        this.ws = webSocket;
        mark(Marks.OPEN);
        opened();
        synchronized (this) {
            sendTail.whenComplete((x, e) -> mark(Marks.SENT));
        }
        webSocket.request(1);
    }

    /** The socket is open: send the subscriptions (or wait for a handshake). */
    protected abstract void opened();

    /** One complete text message arrived. */
    protected abstract void message(String text);

    protected synchronized void send(String text) {
        WebSocket w = ws;
        sendTail = sendTail.thenCompose(x -> w.sendText(text, true)).exceptionally(e -> null);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        if (webSocket != ws) {
            return null; // a dropped connection's leftovers
        }
        partial.append(data);
        if (marks.get(Marks.FIRST_FRAME.ordinal()) == 0) {
            mark(Marks.FIRST_FRAME);
        }
        if (last) {
            String text = partial.toString();
            partial.setLength(0);
            stats.received(text.length());
            try {
                message(text);
            } catch (RuntimeException e) {
                ready.completeExceptionally(e);
            }
        }
        demand(webSocket);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        demand(webSocket);
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        demand(webSocket);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        demand(webSocket);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        if (webSocket != ws) {
            return null;
        }
        closeCode = statusCode;
        gone = true;
        stats.closes.increment();
        ready.completeExceptionally(new IllegalStateException("closed " + statusCode + " " + reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        if (webSocket != ws) {
            return;
        }
        gone = true;
        stats.closes.increment();
        ready.completeExceptionally(error);
    }

    private void mark(Marks m) {
        marks.set(m.ordinal(), System.nanoTime());
    }

    @Override
    public long[] marks() {
        long[] m = new long[marks.length()];
        for (int i = 0; i < m.length; i++) {
            m[i] = marks.get(i);
        }
        return m;
    }

    private void demand(WebSocket webSocket) {
        owed.set(true);
        if (!paused && owed.compareAndSet(true, false)) {
            webSocket.request(1);
        }
    }

    @Override
    public void pause() {
        paused = true;
    }

    @Override
    public void resume() {
        paused = false;
        WebSocket w = ws;
        if (w != null && owed.compareAndSet(true, false)) {
            w.request(1);
        }
    }

    @Override
    public void drop() {
        WebSocket w = ws;
        ws = null;
        if (w != null) {
            w.abort();
        }
    }

    @Override
    public void slow(boolean slow) {
        this.slow = slow;
    }

    @Override
    public boolean gone() {
        return gone;
    }

    @Override
    public int closeCode() {
        return closeCode;
    }
}
