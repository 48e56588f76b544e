package dev.livequery.gateway.auth;

import static dev.livequery.core.LiveQueryException.Code.BAD_REQUEST;
import static dev.livequery.core.LiveQueryException.Code.FORBIDDEN;
import static dev.livequery.core.LiveQueryException.Code.TOO_MANY_SUBS;
import static dev.livequery.core.LiveQueryException.Code.UNAUTHORIZED;
import static dev.livequery.core.LiveQueryException.Code.UNAVAILABLE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.Shape;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;

/**
 * The identity of one WebSocket connection (PROTOCOL §9): the token of the upgrade, or the
 * {@code auth} command within {@link Auth#FIRST_MESSAGE}; later {@code auth} commands refresh it
 * (same {@code sub} only); its expiry closes the connection with 4001 unless refreshed. Also holds
 * the connection's and its subscriptions' quota leases.
 *
 * <p>Commands come from the connection's reader thread; timers fire on the auth timer thread, so
 * the fields they share are volatile and the leases are guarded by this.
 */
public final class SocketAuth {
    /**
     * {@code auth} commands a connection may send at once; after that one per
     * {@link #AUTH_REFILL_NANOS}. A client refreshes minutes apart (the JS client at most once a
     * second); each command costs a signature check, so a connection over the pace is closed.
     */
    static final int AUTH_BURST = 10;

    static final long AUTH_REFILL_NANOS = 1_000_000_000L;

    private final Auth auth;
    private volatile Principal principal;
    private List<String> forwardedFor = List.of();
    private Quotas.Lease connection;
    /** Held from an open without a token until the first {@code auth} (or the end). */
    private Quotas.Lease awaiting;
    /**
     * By sub id; made with the first subscription, and small: most connections hold one or two, and
     * a default HashMap's table alone is 80 B per connection.
     */
    private Map<String, Held> subs;

    private ScheduledFuture<?> expiry;
    private ScheduledFuture<?> deadline;
    private Runnable onExpired;
    private Runnable onOverQuota;
    private Runnable onAuthFlood;
    private boolean closed;
    /** The {@code auth} pace: commands left, refilled one per {@link #AUTH_REFILL_NANOS} up to the burst. */
    private int authLeft = AUTH_BURST;

    private long authRefilled = System.nanoTime();

    public SocketAuth(Auth auth) {
        this.auth = auth;
    }

    /**
     * The upgrade: in jwt mode a token sent with it must verify (else 401 before the socket
     * opens); without one the connection opens and must authenticate by its first message.
     */
    public void upgrade(HttpPrologue prologue, Headers headers) {
        List<String> xff = headers.values(HeaderNames.X_FORWARDED_FOR);
        forwardedFor = xff.isEmpty() ? List.of() : xff; // the shared empty list, not one per connection
        if (!auth.jwt()) {
            return;
        }
        var token = Credentials.token(headers, prologue.query());
        if (token.isPresent()) {
            try {
                principal = auth.verify(token.get());
            } catch (LiveQueryException e) {
                throw refusal(e);
            }
        }
    }

    /**
     * The socket is open. {@code onExpired} runs when the token expires without a refresh;
     * {@code onUnauthenticated} when no token came in time; {@code onOverQuota} when the
     * principal holds its connection quota already; {@code onAuthFlood} when {@code auth} commands
     * come faster than the pace allows. Returns false when over quota (close 4029): the principal's
     * connections, or, for a socket without a token, its address's sockets awaiting auth.
     */
    public synchronized boolean open(
            String peerAddress,
            Runnable onExpired,
            Runnable onUnauthenticated,
            Runnable onOverQuota,
            Runnable onAuthFlood) {
        this.onExpired = onExpired;
        this.onOverQuota = onOverQuota;
        this.onAuthFlood = onAuthFlood;
        if (!auth.jwt()) {
            principal = Principal.anonymous(auth.clientAddress(peerAddress, forwardedFor));
        }
        if (principal == null) {
            try {
                awaiting = auth.quotas().awaitingAuth(auth.clientAddress(peerAddress, forwardedFor));
            } catch (LiveQueryException e) {
                return false;
            }
            deadline = auth.after(Auth.FIRST_MESSAGE, () -> {
                if (principal == null) {
                    onUnauthenticated.run();
                }
            });
            return true;
        }
        return admitted();
    }

    /** Takes the connection lease and arms the expiry; false when over quota. */
    private boolean admitted() {
        try {
            connection = auth.quotas().connection(principal);
        } catch (LiveQueryException e) {
            return false;
        }
        expiry = auth.atExpiry(principal, onExpired);
        return true;
    }

    /** A subscription's quota and the query as the client asked for it, checked again at each refresh. */
    private record Held(Quotas.Lease lease, Query asked, Shape scoped) {}

    /**
     * {@code {"action":"auth","token":"…"}}: the first authentication, or a refresh with the same
     * {@code sub}. Returns the subscriptions the refreshed token may not read as they are (its rules
     * deny the table now, or give another filter, e.g. after a role or tenant change): the caller
     * ends them ({@code closed revoked}). Their quota is given back here.
     */
    public synchronized List<String> command(JsonNode msg) throws LiveQueryException {
        if (!paced()) {
            onAuthFlood.run(); // before the signature check: the flood must not cost it
            return List.of();
        }
        if (!auth.jwt()) {
            throw new LiveQueryException(BAD_REQUEST, "auth is off on this gateway (livequery.auth.mode is none)");
        }
        JsonNode t = msg.get("token");
        if (t == null || !t.isTextual()) {
            throw new LiveQueryException(BAD_REQUEST, "auth needs a \"token\" string");
        }
        Principal next = auth.verify(t.textValue());
        if (closed) {
            return List.of(); // the connection ended meanwhile (its end hook ran close): take no lease
        }
        Principal now = principal;
        if (now != null && !java.util.Objects.equals(now.sub(), next.sub())) {
            throw new LiveQueryException(FORBIDDEN, "a refresh must carry the same sub as the connection's token");
        }
        principal = next;
        if (now == null) {
            if (deadline != null) {
                deadline.cancel(false);
            }
            if (awaiting != null) {
                awaiting.close();
                awaiting = null;
            }
            if (!admitted()) {
                onOverQuota.run();
            }
            return List.of();
        }
        if (expiry == null || !java.util.Objects.equals(now.expires(), next.expires())) {
            // else the same expiry (often the same token): the armed timer stands
            if (expiry != null) {
                expiry.cancel(false);
            }
            expiry = auth.atExpiry(next, onExpired);
        }
        return revoked(next);
    }

    /** The subs {@code p} may not read as they were granted; each one's lease is closed. */
    private List<String> revoked(Principal p) {
        if (subs == null || subs.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (var it = subs.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Held h = e.getValue();
            boolean same;
            try {
                same = scoped(p, h.asked()).shape().equals(h.scoped());
            } catch (LiveQueryException denied) {
                same = false;
            }
            if (!same) {
                h.lease().close();
                it.remove();
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Takes one {@code auth} command from the pace; false when none is left. */
    private boolean paced() {
        long now = System.nanoTime();
        long earned = (now - authRefilled) / AUTH_REFILL_NANOS;
        if (earned > 0) {
            authLeft = (int) Math.min(AUTH_BURST, authLeft + earned);
            authRefilled += earned * AUTH_REFILL_NANOS;
        }
        if (authLeft == 0) {
            return false;
        }
        authLeft--;
        return true;
    }

    /** Any command but {@code auth} and {@code ping} needs a principal. */
    public Principal require() throws LiveQueryException {
        Principal p = principal;
        if (p == null) {
            throw new LiveQueryException(UNAUTHORIZED, "authenticate first: {\"action\":\"auth\",\"token\":\"<jwt>\"}");
        }
        return p;
    }

    /** The query as {@code sub} may subscribe to it (its read filter applied); takes the quota. */
    public synchronized Query subscribe(String sub, Query q) throws LiveQueryException {
        Principal p = require();
        if (closed) {
            throw new LiveQueryException(UNAVAILABLE, "the connection is closing");
        }
        Query scoped = scoped(p, q);
        Quotas.Lease lease = auth.quotas().subscription(p, scoped.shape(), TOO_MANY_SUBS);
        if (subs == null) {
            subs = new HashMap<>(4);
        }
        subs.put(sub, new Held(lease, q, scoped.shape()));
        return scoped;
    }

    /** {@code q} as {@code p} may read it: its read filter applied (a subscribe, and its re-check at a refresh). */
    private Query scoped(Principal p, Query q) throws LiveQueryException {
        return Scoped.query(q, auth.grant(p, q.shape().table(), Rules.Op.READ));
    }

    /** {@code sub} ended (unsubscribed or failed to start): its quota is given back. */
    public synchronized void ended(String sub) {
        Held h = subs == null ? null : subs.remove(sub);
        if (h != null) {
            h.lease().close();
        }
    }

    /** The connection ended: every lease back, every timer off. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (subs != null) {
            subs.values().forEach(h -> h.lease().close());
            subs.clear();
        }
        if (connection != null) {
            connection.close();
        }
        if (awaiting != null) {
            awaiting.close();
        }
        for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {expiry, deadline}) {
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    /** 401 with the §9 JSON body, sent by Helidon instead of the 101. */
    private static RequestException refusal(LiveQueryException e) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        ObjectNode err = body.putObject("error");
        err.put("code", e.code().wire());
        err.put("message", e.getMessage());
        return JsonRefusal.refusal(Status.UNAUTHORIZED_401, Json.text(body));
    }
}
