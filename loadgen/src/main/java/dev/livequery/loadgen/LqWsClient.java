package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Replica;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A livequery WebSocket client (PROTOCOL §4) with one {@link Replica} per subscription. On
 * (re)connect every subscription is sent with {@code resume} = the eid of the last frame applied.
 */
final class LqWsClient extends WsClient {
    private final Workload workload;
    private final List<Integer> shapes;
    private final List<Replica> replicas = new ArrayList<>();
    private volatile int readyCount;

    LqWsClient(ClientPool pool, int index, URI uri, Stats stats, Workload workload, List<Integer> shapes) {
        super(pool, index, uri, stats);
        this.workload = workload;
        this.shapes = List.copyOf(shapes);
        for (int i = 0; i < shapes.size(); i++) {
            replicas.add(Replica.lean(Verifier::seq));
        }
    }

    @Override
    protected void opened() {
        synchronized (this) {
            readyCount = 0;
        }
        for (int i = 0; i < shapes.size(); i++) {
            Replica r = replicas.get(i);
            r.expectReady();
            ObjectNode cmd = Json.MAPPER.createObjectNode();
            cmd.put("action", "subscribe");
            cmd.put("sub", "s" + i);
            cmd.set("query", workload.query(shapes.get(i)));
            if (r.lastEid() != null) {
                cmd.put("resume", r.lastEid());
            }
            send(cmd.toString());
        }
    }

    @Override
    protected void message(String text) {
        frame(FrameJson.parse(text));
    }

    /** Parses the message's bytes where they are: no String of every frame. */
    @Override
    protected void message(ByteBuf utf8) {
        frame(FrameJson.parse(new ByteBufInputStream(utf8)));
    }

    private void frame(JsonNode f) {
        String sub = f.path("sub").asText("");
        if (sub.length() < 2) {
            return; // pong or a connection-level error
        }
        Replica r = replicas.get(Integer.parseInt(sub, 1, sub.length(), 10));
        Replica.Applied what = r.apply(f, f.path("eid").asText(null));
        if (what == Replica.Applied.CHANGE) {
            long ts = f.path("row").path("ts").asLong(0);
            if (ts > 0) {
                stats.delivered(ts, slow);
            }
        } else if (what == Replica.Applied.READY) {
            int n;
            synchronized (this) {
                n = ++readyCount;
            }
            if (n == shapes.size()) {
                ready.complete(null);
            }
        } else if ("error".equals(f.path("op").asText())) {
            ready.completeExceptionally(new IllegalStateException("error frame: " + f));
        }
    }

    @Override
    public List<Replica> replicas() {
        return replicas;
    }

    @Override
    public List<Integer> shapes() {
        return shapes;
    }
}
