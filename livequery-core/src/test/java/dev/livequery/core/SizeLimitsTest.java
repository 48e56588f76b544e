package dev.livequery.core;

import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.fails;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static dev.livequery.core.LiveQueryException.Code.TOO_LARGE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rows have a size limit ({@code too_large}) and the history is bounded in bytes, not only in changes. */
class SizeLimitsTest {
    static final int MAX_ROW = 1000;
    static final long MAX_HISTORY = 20_000;
    final LocalBackend b = new LocalBackend(EngineOptions.defaults()
            .withHorizon(10_000, Duration.ofHours(1), 100_000)
            .withSizeLimits(MAX_HISTORY, MAX_ROW));

    static ObjectNode sized(int chars) {
        return obj("{'pad':'" + "x".repeat(chars) + "'}");
    }

    @Test
    void aRowOverTheLimitIsTooLargeAndChangesNothing() throws Exception {
        b.put("t", "a", sized(900), null);
        long v = b.get("t", "a").version();
        fails(TOO_LARGE, () -> b.put("t", "a", sized(MAX_ROW), null));
        fails(TOO_LARGE, () -> b.patch("t", "a", obj("{'more':'" + "y".repeat(200) + "'}"), null));
        fails(
                TOO_LARGE,
                () -> b.batch(
                        "t",
                        List.of(obj("{'id':'ok'}"), obj("{'id':'big','pad':'" + "z".repeat(MAX_ROW) + "'}")),
                        List.of()));
        // three bytes a character: 400 characters of € are 1200 bytes
        fails(TOO_LARGE, () -> b.put("t", "e", obj("{'p':'" + "€".repeat(400) + "'}"), null));
        assertThat(b.get("t", "a").version()).isEqualTo(v);
        assertThat(b.gauges().get("rows")).isEqualTo(1L);
    }

    @Test
    void theHistoryStaysUnderItsByteBoundAndOldStatesMissCleanly() throws Exception {
        Query q = query("{'table':'t','order':[{'field':'id'}],'limit':5}");
        b.put("t", "r", sized(900), null);
        List<Frame> first = drain(b.subscribe(q, null, () -> {}));
        String oldEid = first.get(first.size() - 1).eid();
        for (int i = 0; i < 200; i++) {
            b.put("t", "r", sized(800 + i % 100), null);
            assertThat(b.gauges().get("history_bytes")).isLessThanOrEqualTo(MAX_HISTORY);
        }
        assertThat(b.gauges().get("history_bytes")).isGreaterThan(MAX_HISTORY / 2);
        Subscription recent = b.subscribe(q, null, () -> {});
        List<Frame> now = drain(recent);
        String recentEid = now.get(now.size() - 1).eid();
        b.put("t", "r", sized(10), null);
        assertThat(d(drain(b.subscribe(q, recentEid, () -> {}))))
                .containsExactly("update r@0", "ready before=false after=false resumed");
        assertThat(d(drain(b.subscribe(q, oldEid, () -> {}))).get(0)).isEqualTo("reset resume_miss");
    }
}
