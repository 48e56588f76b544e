package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.testkit.Replica;
import java.net.URI;
import java.util.List;

/** A client of a bench/peers broadcast server: joins one room per shape and times each change. */
final class PeerWsClient extends WsClient {
    private final PeerProtocol protocol;
    private final List<Integer> rooms;
    private int acked;

    PeerWsClient(ClientPool pool, int index, URI base, Stats stats, PeerProtocol protocol, List<Integer> rooms) {
        super(pool, index, base.resolve(protocol.path()), stats);
        this.protocol = protocol;
        this.rooms = List.copyOf(rooms);
    }

    @Override
    protected void opened() {
        synchronized (this) {
            acked = 0;
        }
        protocol.onOpen(rooms).forEach(this::send);
    }

    @Override
    protected void message(String text) {
        PeerProtocol.Reply r = protocol.onMessage(text, rooms);
        r.send().forEach(this::send);
        JsonNode change = r.change();
        if (change != null) {
            long ts = change.path("ts").asLong(0);
            if (ts > 0) {
                stats.delivered(ts, slow);
            }
        }
        if (r.subscribed()) {
            boolean all;
            synchronized (this) {
                all = ++acked == rooms.size();
            }
            if (all) {
                ready.complete(null);
            }
        }
    }

    @Override
    public List<Replica> replicas() {
        return List.of();
    }

    @Override
    public List<Integer> shapes() {
        return rooms;
    }
}
