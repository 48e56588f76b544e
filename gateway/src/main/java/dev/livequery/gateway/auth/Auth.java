package dev.livequery.gateway.auth;

import static dev.livequery.core.LiveQueryException.Code.FORBIDDEN;

import dev.livequery.core.EngineOptions;
import dev.livequery.core.Guard;
import dev.livequery.core.LiveQueryException;
import dev.livequery.gateway.delivery.Close;
import dev.livequery.gateway.delivery.Teardown;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The one object the endpoints ask: who is this ({@link #verify}), what may it read or write
 * ({@link #grant}), how much may it hold ({@link #quotas()}), and when must its connection end
 * ({@link #atExpiry}).
 */
public final class Auth implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Auth.class.getName());
    /** PROTOCOL §9: a WebSocket without a token at the upgrade must send {@code auth} within this. */
    public static final Duration FIRST_MESSAGE = Duration.ofSeconds(10);
    /** PROTOCOL §9: the token expired without a refresh. */
    public static final Close TOKEN_EXPIRED = new Close(Teardown.TOKEN_EXPIRED, 4001, "token_expired");
    /** PROTOCOL §4: policy (no valid token in time). */
    public static final Close UNAUTHENTICATED = new Close(Teardown.UNAUTHORIZED, 1008, "unauthorized");
    /** PROTOCOL §4: policy (auth); more {@code auth} commands than {@link SocketAuth} allows a connection. */
    public static final Close AUTH_FLOOD = new Close(Teardown.AUTH_FLOOD, 1008, "too many auth commands");

    private final AuthSettings settings;
    private final TokenVerifier verifier;
    private final Rules rules;
    private final Quotas quotas;
    private final ScheduledThreadPoolExecutor timers;

    private Auth(AuthSettings settings, TokenVerifier verifier, Rules rules) {
        this.settings = settings;
        this.verifier = verifier;
        this.rules = rules;
        this.quotas = new Quotas(settings.limits());
        this.timers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "livequery-auth-timers");
            t.setDaemon(true);
            return t;
        });
        // A refresh or a closed connection cancels its timer; without this the cancelled task stayed
        // queued until its delay ran out (the token's lifetime): 1.2M dead tasks from one client.
        timers.setRemoveOnCancelPolicy(true);
    }

    /**
     * Checks the settings and logs what the gateway lets through. In jwt mode a missing key,
     * a missing {@code livequery.secret} or the public development secret fail the start.
     *
     * @param secret {@code livequery.secret}, or null when unset
     */
    public static Auth start(AuthSettings s, String secret) {
        Rules rules = Rules.parse(s.rules(), s.rulesOrigin() == null ? "livequery.auth.rules" : s.rulesOrigin());
        if (!s.jwt()) {
            LOG.warning("livequery.auth.mode is none: anyone who can reach this gateway can read and write every "
                    + "table. Set livequery.auth.mode=jwt (see README) unless a proxy in front authenticates.");
            if (s.rules() != null) {
                LOG.warning("livequery.auth.rules are ignored while livequery.auth.mode is none");
            }
            return new Auth(s, null, rules);
        }
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException(
                    "livequery.auth.mode is jwt but livequery.secret is not set: cursors and "
                            + "resume tokens would be signed with the public development secret. Set LIVEQUERY_SECRET.");
        }
        if (Arrays.equals(secret.getBytes(StandardCharsets.UTF_8), EngineOptions.DEV_SECRET)) {
            throw new IllegalArgumentException("livequery.auth.mode is jwt but livequery.secret is the public "
                    + "development secret; choose a secret of your own (LIVEQUERY_SECRET)");
        }
        TokenVerifier v = new TokenVerifier(s);
        if (s.rules() == null) {
            LOG.warning("livequery.auth.mode is jwt and no livequery.auth.rules are set: every table is denied");
        }
        LOG.info(() -> "livequery.auth.mode is jwt: every request but /health and the static page needs a token"
                + (s.issuer() == null ? "" : "; issuer " + s.issuer())
                + (s.audience() == null ? "" : "; audience " + s.audience()));
        return new Auth(s, v, rules);
    }

    /** Auth off and no quotas (tests and embedding). */
    public static Auth none() {
        return new Auth(AuthSettings.none(), null, Rules.denyAll());
    }

    public boolean jwt() {
        return verifier != null;
    }

    public AuthSettings settings() {
        return settings;
    }

    /** The principal of a token; {@code unauthorized} for anything not valid. */
    public Principal verify(String token) throws LiveQueryException {
        if (verifier == null) {
            throw new IllegalStateException("verify is for jwt mode");
        }
        return verifier.verify(token);
    }

    /**
     * What {@code p} may do on {@code table}: every row ({@code Grant.ALL}) or a filter;
     * {@code forbidden} when the rules deny the table for this operation.
     */
    public Grant grant(Principal p, String table, Rules.Op op) throws LiveQueryException {
        if (verifier == null) {
            return Grant.ALL;
        }
        if (!p.authenticated()) {
            throw new LiveQueryException(LiveQueryException.Code.UNAUTHORIZED, "a token is required");
        }
        Grant g = p.grant(rules, table, op);
        if (!g.allowed()) {
            throw new LiveQueryException(
                    FORBIDDEN,
                    "this token may not " + op.name().toLowerCase(java.util.Locale.ROOT) + " table '" + table + "'");
        }
        return g;
    }

    public Quotas quotas() {
        return quotas;
    }

    /** The client address for quotas in none mode: the peer, or the forwarded client when the peer is a trusted proxy. */
    public String clientAddress(String peer, List<String> forwardedFor) {
        return ClientAddress.of(peer, forwardedFor, settings.trustedProxies());
    }

    /** Runs {@code action} once when {@code p}'s token expires (never in none mode). */
    public ScheduledFuture<?> atExpiry(Principal p, Runnable action) {
        if (p.expires() == null) {
            return null;
        }
        long ms = Math.max(0, Duration.between(Instant.now(), p.expires()).toMillis());
        return timers.schedule(Guard.once(LOG, "a token expiry", action), ms, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code action} after {@code d} (the first-message deadline). */
    public ScheduledFuture<?> after(Duration d, Runnable action) {
        return timers.schedule(
                Guard.once(LOG, "a first-message deadline", action), d.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Timers waiting to run: one per connection or stream with a token, one per pending first message. */
    public int timersWaiting() {
        return timers.getQueue().size();
    }

    @Override
    public void close() {
        timers.shutdownNow();
    }
}
