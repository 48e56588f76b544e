package dev.livequery.gateway.ws;

import dev.livequery.core.Backend;
import dev.livequery.gateway.Settings;
import dev.livequery.gateway.auth.Auth;
import dev.livequery.gateway.delivery.Connections;
import io.helidon.websocket.WsListener;
import java.util.function.Supplier;

/** The {@code /v1/ws} endpoint: a new {@link LiveSocket} per connection. */
public final class WsEndpoint {
    private final Backend backend;
    private final Connections connections;
    private final Settings settings;
    private final OriginPolicy origins;
    private final Auth auth;

    public WsEndpoint(Backend backend, Connections connections, Settings settings, Auth auth) {
        this.backend = backend;
        this.connections = connections;
        this.settings = settings;
        this.origins = new OriginPolicy(settings.allowedOrigins());
        this.auth = auth;
    }

    public Supplier<WsListener> listeners() {
        return () -> new LiveSocket(backend, connections, settings, origins, auth);
    }

    /** Largest frame Helidon reads; above {@code max-message} so oversized messages get {@code too_large}, not a dropped socket. */
    public static int maxFrameLength(Settings s) {
        return (int) Math.min(Integer.MAX_VALUE - 8, Math.max(1 << 20, 4L * s.maxMessage()));
    }
}
