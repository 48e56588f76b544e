package dev.livequery.redis.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/** Tests' stand-in for a shard answering a gateway's subscribes, as its delivery reader would pass the acks on. */
final class ShardStandIn {
    private ShardStandIn() {}

    /** A subscribe of {@code table} under way on another thread; it completes when its attach is answered. */
    static CompletableFuture<RemoteSubscription> subscribing(Attachments subs, String table) throws Exception {
        Query q = Query.parse(Json.MAPPER.readTree("{\"table\":\"" + table + "\",\"limit\":5}"));
        return CompletableFuture.supplyAsync(() -> {
            try {
                return subs.subscribe(q, null, () -> {});
            } catch (LiveQueryException e) {
                throw new CompletionException(e);
            }
        });
    }

    /** Subscribes to {@code table} and answers every waiting request with success. */
    static RemoteSubscription subscribed(Attachments subs, String table) throws Exception {
        CompletableFuture<RemoteSubscription> f = subscribing(subs, table);
        await().atMost(Duration.ofSeconds(5)).until(() -> !subs.pending().isEmpty());
        subs.pending().forEach(p -> p.future().complete(new String[] {"", ""}));
        RemoteSubscription s = f.get(5, TimeUnit.SECONDS);
        assertThat(s.att()).isNotNull();
        return s;
    }
}
