package dev.livequery.gateway.ws;

import static dev.livequery.core.LiveQueryException.Code.BAD_REQUEST;
import static dev.livequery.core.LiveQueryException.Code.DUPLICATE_SUB;
import static dev.livequery.core.LiveQueryException.Code.TOO_LARGE;
import static dev.livequery.core.LiveQueryException.Code.TOO_MANY_SUBS;
import static dev.livequery.core.LiveQueryException.Code.UNKNOWN_SUB;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Backend;
import dev.livequery.core.Echo;
import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LogPace;
import dev.livequery.core.Query;
import dev.livequery.core.Subscription;
import dev.livequery.gateway.Settings;
import dev.livequery.gateway.auth.Auth;
import dev.livequery.gateway.auth.SocketAuth;
import dev.livequery.gateway.delivery.Close;
import dev.livequery.gateway.delivery.Connections;
import dev.livequery.gateway.delivery.Outbound;
import dev.livequery.gateway.delivery.Slot;
import dev.livequery.gateway.delivery.Teardown;
import dev.livequery.gateway.delivery.Transport;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/** One WebSocket connection: parses commands on the reader thread, hands every reply to the writer. */
final class LiveSocket implements WsListener {
    private static final Logger LOG = Logger.getLogger(LiveSocket.class.getName());
    /** Close code for a refused Origin: 1008, policy violation (PROTOCOL §4). */
    static final int ORIGIN_REFUSED = 1008;
    /** The longest error message a WebSocket reply carries, whatever client text it repeats. */
    static final int MAX_ERROR_MESSAGE = 512;
    /** Characters of a header a log line repeats: the header is the client's, of any length. */
    static final int LOGGED_HEADER = 200;
    /** One refused-origin line per second, process-wide (see {@link LogPace}). */
    private static final LogPace REFUSED_LOG = new LogPace(1_000_000_000L, System::nanoTime);

    private final Backend backend;
    private final Connections connections;
    private final Settings settings;
    private final OriginPolicy origins;
    private final SocketAuth auth;
    /** A message that came in fragments, made for the first one (most connections never see one). */
    private StringBuilder partial;

    private boolean oversized;
    /** UTF-8 bytes in {@link #partial}: max-message counts what travelled, not UTF-16 units. */
    private int partialBytes;

    private String peer = "?";
    private Outbound out;
    /**
     * The upgrade came from an Origin {@link OriginPolicy} refuses: the socket is closed with 1008
     * at open (PROTOCOL §4) and nothing it sends is read.
     */
    private boolean refusedOrigin;
    /** The peer's close (or the socket's end) has come: nothing to drop after {@link Connections#CLOSE_WAIT}. */
    private volatile boolean peerClosed;

    LiveSocket(Backend backend, Connections connections, Settings settings, OriginPolicy origins, Auth auth) {
        this.backend = backend;
        this.connections = connections;
        this.settings = settings;
        this.origins = origins;
        this.auth = new SocketAuth(auth);
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) {
        String origin = headers.first(HeaderNames.ORIGIN).orElse(null);
        String host = headers.first(HeaderNames.HOST).orElse(null);
        if (!origins.allows(origin, host)) {
            // Upgraded, then closed with 1008 at open (PROTOCOL §4): a browser page sees the code
            // and reason, where a refused upgrade only shows it 1006. Its token is not looked at
            // and it takes no connection permit.
            long left = LOG.isLoggable(Level.INFO) ? REFUSED_LOG.admit() : -1;
            if (left >= 0) {
                LOG.info("refused WebSocket from origin " + logged(origin) + " (host " + logged(host)
                        + "): closed with 1008; set livequery.allowed-origins to allow it"
                        + (left > 0 ? " (" + left + " more refused since the last such line)" : ""));
            }
            refusedOrigin = true;
            return Optional.empty();
        }
        auth.upgrade(prologue, headers); // 401 here for a token that does not verify
        return Optional.empty();
    }

    /** A header value for a log line: at most {@link #LOGGED_HEADER} characters. */
    static String logged(String header) {
        if (header == null || header.length() <= LOGGED_HEADER) {
            return header;
        }
        return header.substring(0, LOGGED_HEADER) + "… (" + header.length() + " characters)";
    }

    @Override
    public void onOpen(WsSession session) {
        peer = session.socketContext().remotePeer().address().toString() + " #"
                + session.socketContext().childSocketId();
        if (refusedOrigin) {
            session.close(ORIGIN_REFUSED, "origin not allowed");
            closeSent(session);
            return;
        }
        if (!connections.admit()) {
            Close c = connections.draining() ? Close.SHUTDOWN : Close.TOO_MANY;
            LOG.info(() -> Transport.Kind.WS.wire() + " connection " + peer + " closed: "
                    + c.cause().wire() + " at open");
            session.close(c.code(), c.reason());
            closeSent(session);
            return;
        }
        out = connections.outbound(
                new WsTransport(session, () -> closeSent(session)),
                peer,
                settings.pingInterval(),
                settings.idleTimeout());
        out.onEnd(auth::close); // leases and timers back even when Helidon never calls onClose
        out.start();
        Outbound o = out;
        if (!auth.open(
                session.socketContext().remotePeer().address().toString(),
                () -> o.close(Auth.TOKEN_EXPIRED),
                () -> o.close(Auth.UNAUTHENTICATED),
                () -> o.close(Close.TOO_MANY),
                () -> o.close(Auth.AUTH_FLOOD))) {
            out.close(Close.TOO_MANY);
        }
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        // After our close (idle, shutdown, slow consumer) Helidon delivers messages until the peer's
        // Close arrives; the writer is done, so a command now could only leak what it made.
        if (out == null || out.closed()) {
            return;
        }
        out.touch();
        int bytes = Utf8.length(text, settings.maxMessage() - partialBytes);
        if (last && partial == null && !oversized && bytes <= settings.maxMessage()) {
            command(text); // the usual whole message: no copy, and no buffer kept per connection
            return;
        }
        if (!oversized) {
            if (partialBytes + bytes > settings.maxMessage()) {
                oversized = true;
                partial = null;
                partialBytes = 0;
            } else {
                if (partial == null) {
                    partial = new StringBuilder(text.length());
                }
                partial.append(text);
                partialBytes += bytes;
            }
        }
        if (!last) {
            return;
        }
        if (oversized) {
            oversized = false;
            partialBytes = 0;
            error(
                    null,
                    new LiveQueryException(
                            TOO_LARGE,
                            "message is over livequery.limits.max-message (" + settings.maxMessage() + " bytes)"));
            return;
        }
        String message = partial == null ? text : partial.toString();
        partial = null;
        partialBytes = 0;
        command(message);
    }

    @Override
    public void onMessage(WsSession session, BufferData buffer, boolean last) {
        if (out != null && !out.closed() && last) {
            out.touch();
            error(null, new LiveQueryException(BAD_REQUEST, "binary messages are not supported; send JSON text"));
        }
    }

    @Override
    public void onPing(WsSession session, BufferData buffer) {
        if (out != null) {
            out.touch();
            out.pong();
        }
    }

    @Override
    public void onPong(WsSession session, BufferData buffer) {
        if (out != null) {
            out.touch();
        }
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        peerClosed = true;
        stop(Close.CLIENT);
    }

    /**
     * Our close frame is out: a peer that has not answered it within {@link Connections#CLOSE_WAIT}
     * loses its socket. {@code ServerConnection.close(true)} stops Helidon's read loop and interrupts
     * its reader, which on a virtual thread closes the socket (Helidon 4.3.1 has no timeout for it).
     */
    private void closeSent(WsSession session) {
        connections.closeSent(() -> {
            if (!peerClosed && session instanceof ServerConnection c) {
                LOG.fine(() -> "ws " + peer + ": no close from the peer within " + Connections.CLOSE_WAIT
                        + " of ours; dropping the socket");
                c.close(true);
            }
        });
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        peerClosed = true; // the socket is done either way
        LOG.log(Level.FINE, "ws " + peer + " error", t);
        stop(new Close(Teardown.ERROR, 1011, "internal error"));
    }

    /** Stops the writer and waits for it, so Helidon's own close reply never races one of our sends. */
    private void stop(Close c) {
        auth.close();
        if (out == null) {
            return;
        }
        out.close(c);
        try {
            out.awaitDone(settings.writeDeadline().plus(Duration.ofSeconds(1)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void command(String message) {
        JsonNode msg;
        try {
            msg = WsCommand.json(message);
        } catch (LiveQueryException e) {
            error(null, e);
            return;
        }
        String sub = WsCommand.replySub(msg);
        try {
            String action = WsCommand.action(msg);
            if (!action.equals("auth") && !action.equals("ping")) {
                auth.require();
            }
            switch (action) {
                case "auth" -> revoke(auth.command(msg));
                case "subscribe" -> subscribe(WsCommand.sub(msg), msg);
                case "reanchor" -> reanchor(WsCommand.sub(msg), msg);
                case "unsubscribe" -> unsubscribe(WsCommand.sub(msg));
                case "ping" -> out.reply(FrameCodec.toJson(Frame.pong(), null));
                default ->
                    throw new LiveQueryException(
                            BAD_REQUEST,
                            "unknown action '" + Echo.of(action)
                                    + "' (expected subscribe, reanchor, unsubscribe, ping or auth)");
            }
        } catch (LiveQueryException e) {
            error(sub, e);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "ws " + peer + ": command failed unexpectedly", e);
            error(sub, new LiveQueryException(LiveQueryException.Code.UNAVAILABLE, "internal error; try again"));
        }
    }

    private void subscribe(String sub, JsonNode msg) throws LiveQueryException {
        if (out.find(sub) != null) {
            throw new LiveQueryException(DUPLICATE_SUB, "subscription '" + sub + "' already exists on this connection");
        }
        if (out.subscriptions() >= settings.subsPerConnection()) {
            throw new LiveQueryException(
                    TOO_MANY_SUBS,
                    "at most " + settings.subsPerConnection()
                            + " subscriptions per connection (livequery.limits.subs-per-connection)");
        }
        WsCommand.Subscribe args = WsCommand.subscribe(msg);
        Query query = auth.subscribe(sub, args.query());
        Slot slot = out.slot(sub);
        if (slot == null) {
            auth.ended(sub);
            return; // the connection is closing (see onMessage)
        }
        try {
            Subscription s = backend.subscribe(query, args.resume(), slot.wakeup());
            slot.attach(s);
        } catch (LiveQueryException | RuntimeException e) {
            out.remove(sub);
            auth.ended(sub);
            throw e;
        }
    }

    private void reanchor(String sub, JsonNode msg) throws LiveQueryException {
        Slot slot = out.find(sub);
        if (slot == null || slot.subscription() == null) {
            throw new LiveQueryException(UNKNOWN_SUB, "no subscription '" + sub + "' on this connection");
        }
        slot.subscription()
                .reanchor(WsCommand.reanchor(msg, slot.subscription().query().window()));
    }

    private void unsubscribe(String sub) throws LiveQueryException {
        Slot slot = out.remove(sub);
        if (slot == null) {
            throw new LiveQueryException(UNKNOWN_SUB, "no subscription '" + sub + "' on this connection");
        }
        auth.ended(sub);
        slot.end(FrameCodec.toJson(Frame.closed(Frame.Closed.Cause.UNSUBSCRIBED), sub));
    }

    /**
     * A refreshed token that may not read these windows as they were granted (its rules deny the
     * table now, or filter it otherwise) ends them with {@code closed revoked}: a window is never
     * kept under access the connection no longer has. The client subscribes again if it may.
     */
    private void revoke(List<String> subs) {
        for (String sub : subs) {
            Slot slot = out.remove(sub);
            if (slot != null) {
                slot.end(FrameCodec.toJson(Frame.closed(Frame.Closed.Cause.REVOKED), sub));
            }
        }
        if (!subs.isEmpty()) {
            LOG.fine(() -> "ws " + peer + ": the refreshed token does not read " + subs.size()
                    + " subscriptions as before; ended them (closed revoked)");
        }
    }

    /**
     * Errors repeat client text cut short ({@link Echo}); a reply waits until the client reads it,
     * so {@link #MAX_ERROR_MESSAGE} is the net under every message made elsewhere (Jackson's too).
     */
    private void error(String sub, LiveQueryException e) {
        out.reply(FrameCodec.toJson(Frame.error(e.code(), Echo.cut(e.getMessage(), MAX_ERROR_MESSAGE)), sub));
    }
}
