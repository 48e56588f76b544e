package dev.livequery.gateway.auth;

import static dev.livequery.core.LiveQueryException.Code.RATE_LIMITED;

import dev.livequery.core.LiveQueryException;
import dev.livequery.core.LogPace;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Per-principal quotas (PROTOCOL §9): open connections, live subscriptions, distinct shapes among
 * them, and writes per second (a token bucket of one second's worth).
 *
 * <p>Memory: a principal has an entry only while it holds a connection or subscription, or while
 * its bucket is refilling; idle entries are dropped on release and swept when the map grows, and
 * the map never holds more than {@link #MAX_PRINCIPALS} (past that, new principals are refused
 * with {@code rate_limited} rather than growing without bound).
 */
public final class Quotas {
    private static final Logger LOG = Logger.getLogger(Quotas.class.getName());
    static final int MAX_PRINCIPALS = 100_000;
    private static final int SWEEP_AT = 10_000;

    private final AuthSettings.Limits limits;
    private final ConcurrentHashMap<String, State> states = new ConcurrentHashMap<>();
    /** Sockets waiting for their first {@code auth}, by client address. */
    private final ConcurrentHashMap<String, Integer> awaiting = new ConcurrentHashMap<>();
    /** One awaiting-auth refusal line per 10 s per gateway. */
    private final LogPace awaitingRefusedLog = new LogPace(10_000_000_000L, System::nanoTime);

    Quotas(AuthSettings.Limits limits) {
        this.limits = limits;
    }

    /** Something held that counts against a quota; {@link #close()} gives it back (idempotent). */
    public interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    private static final Lease NOTHING = () -> {};

    /** A connection (WS or SSE); {@code rate_limited} when the principal holds its quota already. */
    public Lease connection(Principal p) throws LiveQueryException {
        if (limits.connections() <= 0) {
            return NOTHING;
        }
        State s = take(
                p,
                st -> st.connections < limits.connections(),
                st -> st.connections++,
                "connections",
                limits.connections());
        return once(() -> release(p.key(), s, st -> st.connections--));
    }

    /**
     * A WebSocket open without a token, until its first {@code auth} (at most {@link
     * Auth#FIRST_MESSAGE}), counted by client address: such a socket holds one of the gateway's
     * connection slots before it is anyone, so an address may hold only {@code awaitingAuth} of
     * them ({@code rate_limited} past that). Entries live only while held.
     */
    public Lease awaitingAuth(String address) throws LiveQueryException {
        int cap = limits.awaitingAuth();
        if (cap <= 0) {
            return NOTHING;
        }
        boolean[] taken = {false};
        awaiting.compute(address, (k, n) -> {
            int held = n == null ? 0 : n;
            if (held >= cap) {
                return n;
            }
            taken[0] = true;
            return held + 1;
        });
        if (!taken[0]) {
            long left = awaitingRefusedLog.admit();
            if (left >= 0) {
                // Behind a proxy that is not in trusted-proxies every client has the proxy's
                // address and shares this bound: say so where it shows.
                LOG.warning(() -> "a WebSocket from " + address + " closed with 4029: that address holds "
                        + cap + " sockets waiting for their first auth (livequery.limits.per-address.awaiting-auth)"
                        + (left > 0 ? "; " + left + " more such closes since the last line" : "")
                        + "; if it is a proxy, list it in livequery.trusted-proxies");
            }
            throw new LiveQueryException(
                    RATE_LIMITED,
                    "at most " + cap + " connections per address may wait for their first auth "
                            + "(livequery.limits.per-address.awaiting-auth)");
        }
        return once(() -> awaiting.computeIfPresent(address, (k, n) -> n == 1 ? null : n - 1));
    }

    /**
     * A subscription of {@code shape} (any object with value equality naming the view). Over the
     * subscription or the distinct-shape quota: an exception with code {@code refusal}.
     */
    public Lease subscription(Principal p, Object shape, LiveQueryException.Code refusal) throws LiveQueryException {
        if (limits.subscriptions() <= 0 && limits.shapes() <= 0) {
            return NOTHING;
        }
        State s = live(p.key());
        synchronized (s) {
            if (s.dead) {
                return subscription(p, shape, refusal); // dropped as idle meanwhile: take a fresh entry
            }
            if (limits.subscriptions() > 0 && s.subscriptions >= limits.subscriptions()) {
                throw new LiveQueryException(
                        refusal,
                        "at most " + limits.subscriptions()
                                + " subscriptions per principal (livequery.limits.per-principal.subscriptions)");
            }
            if (limits.shapes() > 0 && !s.shapes.containsKey(shape) && s.shapes.size() >= limits.shapes()) {
                throw new LiveQueryException(
                        refusal,
                        "at most " + limits.shapes()
                                + " distinct queries per principal (livequery.limits.per-principal.shapes)");
            }
            s.subscriptions++;
            s.shapes.merge(shape, 1, Integer::sum);
        }
        return once(() -> release(p.key(), s, st -> {
            st.subscriptions--;
            st.shapes.computeIfPresent(shape, (k, n) -> n == 1 ? null : n - 1);
        }));
    }

    /** {@code n} writes now; {@code rate_limited} when the bucket does not hold them. */
    public void writes(Principal p, int n) throws LiveQueryException {
        double rate = limits.writesPerSecond();
        if (rate <= 0) {
            return;
        }
        take(p, st -> st.refill(rate) >= n, st -> st.tokens -= n, "writes-per-second", rate);
    }

    /** Entries held now (for tests and the bounded-memory claim). */
    int size() {
        return states.size();
    }

    private interface Check {
        boolean ok(State s);
    }

    private interface Change {
        void apply(State s);
    }

    private State take(Principal p, Check ok, Change take, String what, double limit) throws LiveQueryException {
        if (states.size() >= SWEEP_AT) {
            sweep();
        }
        if (!states.containsKey(p.key()) && states.size() >= MAX_PRINCIPALS) {
            throw new LiveQueryException(RATE_LIMITED, "too many principals active on this gateway; retry later");
        }
        State s = live(p.key());
        synchronized (s) {
            if (s.dead) {
                return take(p, ok, take, what, limit); // dropped as idle meanwhile: take a fresh entry
            }
            if (!ok.ok(s)) {
                throw new LiveQueryException(
                        RATE_LIMITED,
                        "quota livequery.limits.per-principal." + what + " ("
                                + (limit == Math.rint(limit) ? String.valueOf((long) limit) : String.valueOf(limit))
                                + ") exhausted; retry later");
            }
            take.apply(s);
        }
        return s;
    }

    private State live(String key) {
        return states.compute(key, (k, v) -> v == null ? new State(limits) : v);
    }

    private void release(String key, State s, Change give) {
        synchronized (s) {
            give.apply(s);
        }
        states.computeIfPresent(key, (k, v) -> v == s && v.dropIfIdle(limits.writesPerSecond()) ? null : v);
    }

    private void sweep() {
        for (Iterator<Map.Entry<String, State>> it = states.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, State> e = it.next();
            states.computeIfPresent(e.getKey(), (k, v) -> v.dropIfIdle(limits.writesPerSecond()) ? null : v);
        }
    }

    private static Lease once(Runnable r) {
        return new Lease() {
            private boolean closed;

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    r.run();
                }
            }
        };
    }

    private static final class State {
        int connections;
        int subscriptions;
        final Map<Object, Integer> shapes = new HashMap<>();
        double tokens;
        /** Removed from the map: whoever still holds it must look the principal up again. */
        boolean dead;

        long refilledAt = System.nanoTime();

        State(AuthSettings.Limits l) {
            tokens = Math.max(1, l.writesPerSecond());
        }

        /** Refills the bucket (capacity: one second of writes) and returns what it holds. */
        double refill(double rate) {
            long now = System.nanoTime();
            tokens = Math.min(Math.max(1, rate), tokens + (now - refilledAt) / 1e9 * rate);
            refilledAt = now;
            return tokens;
        }

        /**
         * True (and the entry is marked dead, so a thread that already holds it takes a fresh one)
         * when nothing is held and the bucket is full: forgetting the entry then changes nothing.
         */
        synchronized boolean dropIfIdle(double rate) {
            dead = connections == 0 && subscriptions == 0 && (rate <= 0 || refill(rate) >= Math.max(1, rate));
            return dead;
        }
    }
}
