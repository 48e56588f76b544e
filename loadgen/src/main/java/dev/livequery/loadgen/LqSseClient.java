package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.testkit.Replica;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A livequery SSE client (PROTOCOL §5): one subscription per stream, resumed with
 * {@code Last-Event-ID}. Lines come through {@code BodyHandlers.fromLineSubscriber} rather than
 * {@code ofLines()}: a Flow subscriber gives the same line splitting plus explicit demand (so a
 * paused client really stops reading) and {@code cancel()} (so a storm can drop it at once), which a
 * blocking {@code Stream<String>} does not.
 */
final class LqSseClient implements LiveClient, Flow.Subscriber<String> {
    private final HttpClient http;
    private final URI base;
    private final Stats stats;
    private final Workload workload;
    private final int shape;
    /** "" or {@code &access_token=…}: EventSource-like clients cannot send a header. */
    private final String tokenParam;

    private final Replica replica = Replica.lean(Verifier::seq);
    private volatile boolean slow;
    private volatile boolean paused;
    private final AtomicBoolean owed = new AtomicBoolean();
    private volatile Flow.Subscription subscription;
    private volatile SseEvents events;
    private volatile CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile int status = -1;
    private volatile boolean gone;

    LqSseClient(HttpClient http, URI base, Stats stats, Workload workload, int shape, String tokenParam) {
        this.tokenParam = tokenParam;
        this.http = http;
        this.base = base;
        this.stats = stats;
        this.workload = workload;
        this.shape = shape;
    }

    @Override
    public CompletableFuture<Void> connect() {
        ready = new CompletableFuture<>();
        gone = false;
        replica.expectReady();
        events = new SseEvents(this::event);
        HttpRequest.Builder req = HttpRequest.newBuilder(
                        base.resolve("/v1/live/" + workload.table() + "?" + workload.queryString(shape) + tokenParam))
                .header("Accept", "text/event-stream");
        if (replica.lastEid() != null) {
            req.header("Last-Event-ID", replica.lastEid());
        }
        http.sendAsync(req.build(), HttpResponse.BodyHandlers.fromLineSubscriber(this))
                .whenComplete((res, e) -> {
                    if (e != null) {
                        ready.completeExceptionally(e);
                    } else {
                        status = res.statusCode();
                        if (status != 200) {
                            ready.completeExceptionally(new IllegalStateException("SSE status " + status));
                        }
                    }
                });
        return ready;
    }

    private void event(String data, String id) {
        stats.received(data.length());
        JsonNode f = FrameJson.parse(data);
        Replica.Applied what = replica.apply(f, id);
        if (what == Replica.Applied.CHANGE) {
            long ts = f.path("row").path("ts").asLong(0);
            if (ts > 0) {
                stats.delivered(ts, slow);
            }
        } else if (what == Replica.Applied.READY) {
            ready.complete(null);
        }
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(String line) {
        events.line(line);
        owed.set(true);
        if (!paused && owed.compareAndSet(true, false)) {
            subscription.request(1);
        }
    }

    @Override
    public void onError(Throwable t) {
        gone = true;
        stats.closes.increment();
        ready.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        gone = true;
        stats.closes.increment();
        ready.completeExceptionally(new IllegalStateException("stream ended"));
    }

    @Override
    public void pause() {
        paused = true;
    }

    @Override
    public void resume() {
        paused = false;
        Flow.Subscription s = subscription;
        if (s != null && owed.compareAndSet(true, false)) {
            s.request(1);
        }
    }

    @Override
    public void drop() {
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }

    @Override
    public void slow(boolean slow) {
        this.slow = slow;
    }

    @Override
    public List<Replica> replicas() {
        return List.of(replica);
    }

    @Override
    public List<Integer> shapes() {
        return List.of(shape);
    }

    @Override
    public boolean gone() {
        return gone;
    }

    @Override
    public int closeCode() {
        return -1;
    }
}
