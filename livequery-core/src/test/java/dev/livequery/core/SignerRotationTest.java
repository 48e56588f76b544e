package dev.livequery.core;

import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.fails;
import static dev.livequery.core.Fixtures.ids;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Key ids (secret rotation with an overlap) and separate MAC domains for cursors and tokens. */
class SignerRotationTest {
    static final byte[] OLD = "old-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    static final byte[] NEW = "new-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    static final byte[] FP = new byte[32];

    @Test
    void thePreviousKeyVerifiesOnlyDuringItsOverlapAndNeverSigns() {
        AtomicLong now = new AtomicLong(1_000);
        Signer old = new Signer(OLD);
        Signer rotated = new Signer(NEW, OLD, Duration.ofNanos(500), now::get);
        byte[] byOld = old.seal(Signer.Domain.CURSOR, FP, new byte[] {1, 2, 3});
        byte[] byNew = rotated.seal(Signer.Domain.CURSOR, FP, new byte[] {1, 2, 3});
        assertThat(byNew).isNotEqualTo(byOld);
        assertThat(byNew[0]).as("key id").isNotEqualTo(byOld[0]);
        assertThat(old.open(Signer.Domain.CURSOR, FP, byNew))
                .as("the old key does not know the new one")
                .isFalse();
        assertThat(rotated.open(Signer.Domain.CURSOR, FP, byOld)).isTrue();
        assertThat(rotated.open(Signer.Domain.CURSOR, FP, byNew)).isTrue();
        now.addAndGet(499);
        assertThat(rotated.open(Signer.Domain.CURSOR, FP, byOld)).isTrue();
        now.addAndGet(1);
        assertThat(rotated.open(Signer.Domain.CURSOR, FP, byOld))
                .as("after the overlap")
                .isFalse();
        assertThat(rotated.open(Signer.Domain.CURSOR, FP, byNew)).isTrue();
    }

    @Test
    void aCursorNeverVerifiesAsATokenNorTheReverse() {
        Signer s = new Signer(NEW);
        byte[] payload = {1, 0, 0, 0, 7, 3, 9};
        byte[] cursor = s.seal(Signer.Domain.CURSOR, FP, payload);
        byte[] token = s.seal(Signer.Domain.TOKEN, FP, payload);
        assertThat(s.open(Signer.Domain.TOKEN, FP, cursor)).isFalse();
        assertThat(s.open(Signer.Domain.CURSOR, FP, token)).isFalse();
        assertThat(s.open(Signer.Domain.CURSOR, FP, cursor)).isTrue();
        byte[] otherFp = FP.clone();
        otherFp[5] = 1;
        assertThat(s.open(Signer.Domain.CURSOR, otherFp, cursor)).isFalse();
        byte[] edited = cursor.clone();
        edited[2] ^= 1;
        assertThat(s.open(Signer.Domain.CURSOR, FP, edited)).isFalse();
        byte[] otherKid = cursor.clone();
        otherKid[0] ^= 1;
        assertThat(s.open(Signer.Domain.CURSOR, FP, otherKid)).isFalse();
        assertThat(s.open(Signer.Domain.CURSOR, FP, new byte[Signer.OVERHEAD - 1]))
                .isFalse();
    }

    @Test
    void aRotatedBackendAcceptsCursorsAndTokensOfThePreviousSecret() throws Exception {
        EngineOptions before = EngineOptions.defaults().withSecret(OLD);
        Query q = query("{'table':'t','order':[{'field':'n'}],'limit':2}");
        LocalBackend a = new LocalBackend(before, 7);
        LocalBackend rotated = new LocalBackend(before.withSecret(NEW).withPreviousSecret(OLD, Duration.ofHours(1)), 7);
        LocalBackend forgot = new LocalBackend(before.withSecret(NEW), 7);
        for (LocalBackend b : List.of(a, rotated, forgot)) {
            for (int i = 0; i < 4; i++) {
                b.put("t", "r" + i, obj("{'n':" + i + "}"), null);
            }
        }
        String cursor = a.query(q).cursors().get(1);
        Query next = q.withWindow(Window.of(cursor, null, 2));
        assertThat(ids(rotated.query(next))).containsExactly("r2", "r3");
        fails(BAD_QUERY, () -> forgot.query(next));

        List<Frame> fs = drain(a.subscribe(q, null, () -> {}));
        String eid = fs.get(fs.size() - 1).eid();
        assertThat(eid.length()).isLessThanOrEqualTo(Tokens.MAX_LENGTH);
        assertThat(d(drain(rotated.subscribe(q, eid, () -> {}))))
                .containsExactly("ready before=false after=true resumed");
        assertThat(d(drain(forgot.subscribe(q, eid, () -> {}))).get(0)).isEqualTo("reset resume_miss");
        // a cursor string presented as a resume token is a miss, not an accepted state
        assertThat(d(drain(a.subscribe(q, cursor, () -> {}))).get(0)).isEqualTo("reset resume_miss");
    }
}
