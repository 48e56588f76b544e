package dev.livequery.peers.vertx;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The framework floor for bench/run: WebSocket clients join rooms, {@code POST /publish/{room}}
 * sends the body, as is, to every member — no query, no state, no per-client encoding. What
 * livequery does per delivery on top of this is its cost.
 *
 * <p>Wire: {@code GET /ws} upgrade; client sends {@code {"action":"subscribe","room":"k"}} and gets
 * {@code {"subscribed":"k"}}. One HTTP server instance per event loop (the Vert.x way to use every
 * core); rooms are shared across loops in concurrent sets. Port from {@code PORT} (default 18081).
 */
public final class BroadcastServer {
    private static final Map<String, Set<ServerWebSocket>> ROOMS = new ConcurrentHashMap<>();

    private BroadcastServer() {
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "18081"));
        int loops = Runtime.getRuntime().availableProcessors();
        Vertx vertx = Vertx.vertx();
        for (int i = 0; i < loops; i++) {
            vertx.deployVerticle(new io.vertx.core.VerticleBase() {
                @Override
                public io.vertx.core.Future<?> start() {
                    HttpServer server = vertx.createHttpServer();
                    server.webSocketHandler(BroadcastServer::socket);
                    server.requestHandler(req -> {
                        if (req.path().startsWith("/publish/")) {
                            String room = req.path().substring("/publish/".length());
                            req.body().onSuccess(body -> {
                                publish(room, body);
                                req.response().end("{}");
                            });
                        } else {
                            req.response().setStatusCode(req.path().equals("/health") ? 200 : 404).end();
                        }
                    });
                    return server.listen(port);
                }
            });
        }
        System.out.println("peer-vertx listening on " + port + " with " + loops + " event loops");
    }

    private static void socket(ServerWebSocket ws) {
        if (!ws.path().equals("/ws")) {
            ws.close((short) 1008);
            return;
        }
        ws.textMessageHandler(text -> {
            JsonObject cmd = new JsonObject(text);
            if ("subscribe".equals(cmd.getString("action"))) {
                String room = cmd.getString("room");
                ROOMS.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet()).add(ws);
                ws.writeTextMessage(new JsonObject().put("subscribed", room).encode());
            }
        });
        ws.closeHandler(v -> ROOMS.values().forEach(s -> s.remove(ws)));
    }

    private static void publish(String room, Buffer body) {
        Set<ServerWebSocket> members = ROOMS.get(room);
        if (members == null) {
            return;
        }
        String text = body.toString();
        for (ServerWebSocket ws : members) {
            if (!ws.writeQueueFull()) {
                ws.writeTextMessage(text);
            }
        }
    }
}
