package dev.livequery.redis.store;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.StringCodec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One Redis deployment, standalone or Cluster, behind the command interface both share
 * ({@link RedisClusterCommands}), so every caller runs unchanged on either.
 *
 * <p>Why these options: commands are rejected while disconnected instead of queued, so a loop
 * notices an outage within one call and can mark its subscribers {@code stale} (PROTOCOL §3)
 * instead of piling up writes that would replay minutes later; Lettuce still reconnects by itself
 * with backoff. Blocking reads ({@code XREAD BLOCK}) get their own connection from
 * {@link #dedicated()} because Lettuce multiplexes one connection: a blocked read would stall
 * every other command on it. Their {@code BLOCK} must stay shorter than {@link #timeout()}.
 *
 * <p>URIs: {@code redis://host:port} is standalone; {@code redis-cluster://h1:p1,h2:p2} seeds a
 * Redis Cluster.
 */
public final class Redis implements AutoCloseable {
    /** A Lua script with its SHA; runs by {@code EVALSHA}, falls back to {@code EVAL} on {@code NOSCRIPT}. */
    public record Script(String source, String sha) {
        public static Script of(String source) {
            try {
                byte[] d = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
                return new Script(source, HexFormat.of().formatHex(d));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final RedisClient client;
    private final RedisClusterClient clusterClient;
    private final Duration timeout;
    private final StatefulConnection<String, String> main;
    private final RedisClusterCommands<String, String> cmd;
    private final RedisClusterAsyncCommands<String, String> async;
    private final List<StatefulConnection<String, String>> extra = new CopyOnWriteArrayList<>();

    private Redis(RedisClient client, RedisClusterClient clusterClient, Duration timeout) {
        this.client = client;
        this.clusterClient = clusterClient;
        this.timeout = timeout;
        if (client != null) {
            var c = client.connect(StringCodec.UTF8);
            this.main = c;
            this.cmd = c.sync();
            this.async = c.async();
        } else {
            var c = clusterClient.connect(StringCodec.UTF8);
            this.main = c;
            this.cmd = c.sync();
            this.async = c.async();
        }
    }

    /**
     * {@code scheme://user-info@}. Linear in the text, which may be anyone's (the gateway's log
     * filter runs it over every line): a match is tried only where a run of scheme characters starts
     * (the lookbehind), whose prefix up to its first letter is part of the match, and every
     * quantifier is possessive, as neither part can hold the character that ends it. The plain
     * {@code [a-zA-Z][a-zA-Z0-9+.-]*://} rescanned a run from each of its letters: quadratic.
     */
    static final java.util.regex.Pattern USERINFO =
            java.util.regex.Pattern.compile("(?<![a-zA-Z0-9+.-])([0-9+.-]*+[a-zA-Z][a-zA-Z0-9+.-]*+://)[^/@\\s]*+@");

    /**
     * {@code uri} fit for a log line: user and password, if any, replaced by {@code <redacted>}.
     * Works on any text, so the gateway's log filter ({@code Redact}) uses it for URIs too.
     */
    public static String redact(String uri) {
        return uri == null ? null : USERINFO.matcher(uri).replaceAll("$1<redacted>@");
    }

    private static final String CLUSTER = "redis-cluster://";

    /**
     * The seeds of {@code redis-cluster://[user:password@]host:port,host:port,…}. The credentials
     * are written once, before the first host, but belong to every seed: Lettuce connects to
     * whichever seed answers, and a seed without them would be refused with NOAUTH.
     */
    static List<RedisURI> clusterSeeds(String uri) {
        String rest = uri.substring(CLUSTER.length());
        int at = rest.lastIndexOf('@');
        String userInfo = at < 0 ? "" : rest.substring(0, at + 1);
        List<RedisURI> seeds = new ArrayList<>();
        for (String hp : rest.substring(at + 1).split(",")) {
            if (hp.isBlank()) {
                throw new IllegalArgumentException("livequery.redis.uri: an empty host in " + redact(uri));
            }
            seeds.add(RedisURI.create("redis://" + userInfo + hp.trim()));
        }
        return seeds;
    }

    /** Connects; fails fast (RedisConnectionException) when nothing answers. */
    public static Redis connect(String uri, Duration timeout) {
        SocketOptions socket =
                SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build();
        TimeoutOptions to = TimeoutOptions.enabled(timeout);
        if (uri.startsWith(CLUSTER)) {
            List<RedisURI> seeds = clusterSeeds(uri);
            seeds.forEach(u -> u.setTimeout(timeout));
            RedisClusterClient cc = RedisClusterClient.create(seeds);
            cc.setOptions(ClusterClientOptions.builder()
                    .socketOptions(socket)
                    .timeoutOptions(to)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    // After a failover the slots' new master must be learnt within seconds: Lettuce
                    // rate-limits adaptive refreshes to one per 30 s by default, and if one ran while
                    // the dead master still held its slots (it does until the replica takes over),
                    // its partitions stayed routed to the dead node for up to 30 s. The periodic
                    // refresh catches a topology change no trigger reported.
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                            .enablePeriodicRefresh(Duration.ofSeconds(10))
                            .build())
                    .build());
            return new Redis(null, cc, timeout);
        }
        RedisURI u = RedisURI.create(uri);
        u.setTimeout(timeout);
        RedisClient c = RedisClient.create(u);
        c.setOptions(ClientOptions.builder()
                .socketOptions(socket)
                .timeoutOptions(to)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .build());
        return new Redis(c, null, timeout);
    }

    /** Stream offsets as the array XREAD's varargs want (generic arrays need one unchecked cast). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static io.lettuce.core.XReadArgs.StreamOffset<String>[] offsets(
            java.util.List<io.lettuce.core.XReadArgs.StreamOffset<String>> list) {
        return list.toArray(new io.lettuce.core.XReadArgs.StreamOffset[0]);
    }

    /** True on Redis Cluster: multi-key commands must then stay within one hash tag. */
    public boolean cluster() {
        return clusterClient != null;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The shared, multiplexed connection: never block on it. */
    public RedisClusterCommands<String, String> cmd() {
        return cmd;
    }

    /** A connection of its own, for one blocking reader; closed with this object. */
    public RedisClusterCommands<String, String> dedicated() {
        if (client != null) {
            var c = client.connect(StringCodec.UTF8);
            extra.add(c);
            return c.sync();
        }
        var c = clusterClient.connect(StringCodec.UTF8);
        extra.add(c);
        return c.sync();
    }

    /** {@link #dedicated()}, asynchronous: for pipelining many reads on a connection of their own. */
    public RedisClusterAsyncCommands<String, String> dedicatedAsync() {
        if (client != null) {
            var c = client.connect(StringCodec.UTF8);
            extra.add(c);
            return c.async();
        }
        var c = clusterClient.connect(StringCodec.UTF8);
        extra.add(c);
        return c.async();
    }

    /**
     * Runs a script: EVALSHA, and on NOSCRIPT (a restarted or failed-over Redis has an empty
     * script cache) EVAL, which also caches it again. Safe because a script that failed with
     * NOSCRIPT did not run at all.
     */
    public <T> T eval(Script s, ScriptOutputType type, String[] keys, String... args) {
        try {
            return cmd.evalsha(s.sha(), type, keys, args);
        } catch (RedisNoScriptException e) {
            return cmd.eval(s.source(), type, keys, args);
        }
    }

    /**
     * {@link #eval} without waiting: commands issued one after another on the shared connection
     * are pipelined (sent without waiting for each other's replies). Same NOSCRIPT fallback; the
     * command timeout applies as for synchronous calls.
     */
    public <T> CompletableFuture<T> evalAsync(Script s, ScriptOutputType type, String[] keys, String... args) {
        CompletableFuture<T> f = async.<T>evalsha(s.sha(), type, keys, args).toCompletableFuture();
        return f.exceptionallyCompose(e -> {
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (c instanceof RedisNoScriptException) {
                return async.<T>eval(s.source(), type, keys, args).toCompletableFuture();
            }
            return CompletableFuture.failedFuture(c);
        });
    }

    @Override
    public void close() {
        for (var c : extra) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // closing anyway
            }
        }
        try {
            main.close();
        } catch (RuntimeException ignored) {
            // closing anyway
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        } else {
            clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }
}
