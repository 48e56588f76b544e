package dev.livequery.core;

import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Nothing blocks a subscription silently (embedded mode): a consumer's wakeup that throws (a
 * writer thread that could not be started, say) neither fails the write nor keeps the change
 * from the other subscriptions, and the subscription it failed for gets every frame once a
 * later wakeup goes through.
 */
class WakeupFailureTest {

    @Test
    void aThrowingWakeupLosesNothing() throws Exception {
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        b.put("t", "a", obj("{\"k\":1,\"n\":1}"), null);
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger wakes = new AtomicInteger();
        Subscription flaky = b.subscribe(
                query("{\"table\":\"t\",\"where\":{\"k\":1},\"order\":[{\"field\":\"n\"}],\"limit\":5}"), null, () -> {
                    if (failures.get() > 0) {
                        failures.decrementAndGet();
                        throw new IllegalStateException("no writer thread today");
                    }
                    wakes.incrementAndGet();
                });
        Subscription other =
                b.subscribe(query("{\"table\":\"t\",\"order\":[{\"field\":\"n\"}],\"limit\":5}"), null, () -> {});
        drain(flaky);
        drain(other);

        failures.set(1);
        b.put("t", "b", obj("{\"k\":1,\"n\":2}"), null); // flaky's wakeup throws: the write still succeeds
        assertThat(d(drain(other))).containsExactly("enter b@1");
        int woken = wakes.get();
        b.put("t", "c", obj("{\"k\":1,\"n\":3}"), null); // its queue was not empty, yet it is woken now
        assertThat(wakes.get()).isEqualTo(woken + 1);
        List<Frame> got = drain(flaky);
        assertThat(d(got)).containsExactly("enter b@1", "enter c@2");
        flaky.close();
        other.close();
    }
}
