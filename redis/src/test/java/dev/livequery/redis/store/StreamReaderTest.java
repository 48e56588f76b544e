package dev.livequery.redis.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.process.RedisProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one blocking stream reader of shard (control) and gateway (delivery), against a real redis-server. */
@Cluster
class StreamReaderTest {
    static final Duration BLOCK = Duration.ofMillis(300);

    @Test
    void readsEveryEntryInOrderAndWakesOnAppend() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            redis.cmd().xadd("s", Map.of("n", "0"));
            redis.cmd().xadd("s", Map.of("n", "1"));
            StreamReader reader = new StreamReader(redis, "s", "0-0", BLOCK, 1, Duration.ofMillis(50));
            List<String> seen = new CopyOnWriteArrayList<>();
            AtomicInteger emptyReads = new AtomicInteger();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread t = new Thread(() -> reader.run(
                    running::get,
                    m -> seen.add(m.getBody().get("n")),
                    n -> emptyReads.addAndGet(n == 0 ? 1 : 0),
                    e -> {}));
            t.start();
            try {
                // count 1: two reads for the two old entries, then the reader blocks and is woken by appends
                await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2 && emptyReads.get() >= 1);
                for (int i = 2; i < 50; i++) {
                    redis.cmd().xadd("s", Map.of("n", Integer.toString(i)));
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 50);
                assertThat(seen)
                        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 50)
                                .mapToObj(Integer::toString)
                                .toList());
                String last = redis.cmd()
                        .xrevrange("s", io.lettuce.core.Range.create("-", "+"), io.lettuce.core.Limit.from(1))
                        .get(0)
                        .getId();
                assertThat(reader.position()).isEqualTo(last);
            } finally {
                running.set(false);
                t.join(5000);
            }
            assertThat(t.isAlive())
                    .as("reader stops within a block time of running turning false")
                    .isFalse();
        }
    }

    @Test
    void startsAfterTheGivenIdAndTrimsWhatItRead() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            String first = redis.cmd().xadd("s", Map.of("n", "old"));
            redis.cmd().xadd("s", Map.of("n", "new"));
            StreamReader reader = new StreamReader(redis, "s", first, BLOCK, 100, Duration.ofMillis(50));
            List<String> seen = new CopyOnWriteArrayList<>();
            AtomicBoolean running = new AtomicBoolean(true);
            reader.run(
                    running::get,
                    m -> seen.add(m.getBody().get("n")),
                    n -> {
                        if (n > 0) {
                            reader.trimBefore(StreamReader.after(reader.position()));
                            running.set(false);
                        }
                    },
                    e -> {});
            assertThat(seen).containsExactly("new");
            assertThat(redis.cmd().xlen("s")).isZero();
        }
    }

    @Test
    void aFailedReadIsReportedAndRetriedFromTheSamePosition() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            String first = redis.cmd().xadd("s", Map.of("n", "0"));
            StreamReader reader = new StreamReader(redis, "s", "0-0", BLOCK, 100, Duration.ofMillis(50));
            List<String> seen = new CopyOnWriteArrayList<>();
            AtomicInteger failures = new AtomicInteger();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread t = new Thread(
                    () -> reader.run(running::get, m -> seen.add(m.getId()), n -> {}, e -> failures.incrementAndGet()));
            t.start();
            try {
                await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
                r.kill();
                await().atMost(Duration.ofSeconds(10)).until(() -> failures.get() >= 1);
                r.launch();
                await().atMost(Duration.ofSeconds(10)).until(r::answers);
                // The restarted server is empty: an entry with a higher id than the position is read,
                // nothing before it was skipped or repeated.
                String next = redis.cmd().xadd("s", Map.of("n", "1"));
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
                assertThat(seen).containsExactly(first, next);
            } finally {
                running.set(false);
                t.join(5000);
            }
        }
    }

    @Test
    void refusesABlockAsLongAsTheCommandTimeout() throws Exception {
        try (RedisProcess r = RedisProcess.start(false);
                Redis redis = Redis.connect(r.uri(), Duration.ofSeconds(2))) {
            assertThatThrownBy(
                            () -> new StreamReader(redis, "s", "0-0", Duration.ofSeconds(2), 10, Duration.ofMillis(50)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("command timeout");
        }
    }
}
