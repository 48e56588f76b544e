package dev.livequery.gateway.ws;

import dev.livequery.gateway.delivery.Close;
import dev.livequery.gateway.delivery.Transport;
import io.helidon.common.buffers.BufferData;
import io.helidon.websocket.WsSession;

/**
 * Frames as WebSocket text messages. Helidon writes every message straight to the socket
 * ({@code writeNow}), so there is nothing to flush: batching here means the writer does not
 * wake up, lock or allocate per frame, not fewer syscalls.
 */
final class WsTransport implements Transport {
    private final WsSession session;

    WsTransport(WsSession session) {
        this.session = session;
    }

    @Override
    public String kind() {
        return "ws";
    }

    @Override
    public void write(String json, String eid) {
        session.send(json, true);
    }

    @Override
    public void flush() {
    }

    @Override
    public void keepAlive() {
        session.ping(BufferData.empty());
    }

    @Override
    public void pong() {
        session.pong(BufferData.empty());
    }

    @Override
    public void finish(Close close) {
        try {
            session.close(close.code(), close.reason());
        } catch (RuntimeException e) {
            // the peer is gone already; nothing left to tell it
        }
    }
}
