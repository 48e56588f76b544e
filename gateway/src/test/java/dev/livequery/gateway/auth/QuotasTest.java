package dev.livequery.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livequery.core.LiveQueryException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The quota bookkeeping alone: limits hold under concurrency and idle principals are forgotten. */
class QuotasTest {
    @Test
    void concurrentTakersNeverExceedTheLimitAndIdleEntriesGo() throws Exception {
        Quotas q = new Quotas(new AuthSettings.Limits(3, 0, 0, 0, 0));
        Principal p = Principal.anonymous("10.0.0.1");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 200; round++) {
                List<Future<Quotas.Lease>> fs = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    fs.add(pool.submit(() -> {
                        try {
                            return q.connection(p);
                        } catch (LiveQueryException e) {
                            assertThat(e.code()).isEqualTo(LiveQueryException.Code.RATE_LIMITED);
                            return null;
                        }
                    }));
                }
                List<Quotas.Lease> held = new ArrayList<>();
                for (Future<Quotas.Lease> f : fs) {
                    if (f.get() != null) {
                        held.add(f.get());
                    }
                }
                assertThat(held).as("round %d", round).hasSize(3);
                held.forEach(Quotas.Lease::close);
                assertThat(q.size()).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shapesCountDistinctQueriesAndLeasesCloseOnce() throws Exception {
        Quotas q = new Quotas(new AuthSettings.Limits(0, 0, 2, 0, 0));
        Principal p = Principal.anonymous("a");
        Quotas.Lease a1 = q.subscription(p, "A", LiveQueryException.Code.TOO_MANY_SUBS);
        Quotas.Lease a2 = q.subscription(p, "A", LiveQueryException.Code.TOO_MANY_SUBS);
        Quotas.Lease b = q.subscription(p, "B", LiveQueryException.Code.TOO_MANY_SUBS);
        assertThatThrownBy(() -> q.subscription(p, "C", LiveQueryException.Code.TOO_MANY_SUBS))
                .hasMessageContaining("shapes");
        a1.close();
        a1.close();
        assertThatThrownBy(() -> q.subscription(p, "C", LiveQueryException.Code.TOO_MANY_SUBS))
                .hasMessageContaining("shapes");
        a2.close();
        q.subscription(p, "C", LiveQueryException.Code.TOO_MANY_SUBS).close();
        b.close();
        assertThat(q.size()).isZero();
    }
}
