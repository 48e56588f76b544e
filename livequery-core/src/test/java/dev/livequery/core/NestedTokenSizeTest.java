package dev.livequery.core;

import static dev.livequery.core.Fixtures.as;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/protocol.md: the eids of a resume from inside a splice fit 200 bytes for ids of 32 characters. */
class NestedTokenSizeTest {

    @Test
    void nestedEidsOfLongIdsStayResumable() throws Exception {
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        for (int i = 0; i < 40; i++) {
            String id = ("row-%02d-".formatted(i) + "x".repeat(40)).substring(0, 32);
            b.put("t", id, obj("{\"n\":" + i + "}"), null);
        }
        Query q = query("{\"table\":\"t\",\"order\":[{\"field\":\"n\"}],\"limit\":10}");
        Subscription s = b.subscribe(q, null, () -> {});
        drain(s);
        s.reanchor(new Window(null, null, 30));
        List<Frame> grow = drain(s);
        s.close();
        String cut = grow.get(3).eid(); // a PartialSplice token: cut inside the reanchor
        for (int i = 0; i < 5; i++) {
            b.put(
                    "t",
                    ("row-%02d-".formatted(i) + "x".repeat(40)).substring(0, 32),
                    obj("{\"n\":" + (100 + i) + "}"),
                    null);
        }
        Subscription t = b.subscribe(q.withWindow(new Window(null, null, 30)), cut, () -> {});
        List<Frame> resumed = drain(t);
        t.close();
        assertThat(as(Frame.Ready.class, resumed.getLast()).resumed()).isTrue();
        for (Frame f : resumed) {
            assertThat(f.eid()).isNotEqualTo(Tokens.UNRESUMABLE);
            assertThat(f.eid().length()).isLessThanOrEqualTo(Tokens.MAX_LENGTH);
        }
        // and one of them resumes again
        Subscription u = b.subscribe(
                q.withWindow(new Window(null, null, 30)), resumed.getFirst().eid(), () -> {});
        assertThat(as(Frame.Ready.class, drain(u).getLast()).resumed()).isTrue();
        u.close();
    }
}
