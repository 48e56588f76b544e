package dev.livequery.core;

import static dev.livequery.core.Fixtures.as;
import static dev.livequery.core.Fixtures.d;
import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.fails;
import static dev.livequery.core.Fixtures.ids;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PROTOCOL §2 cursors: opaque positions bound to one shape, refused with bad_query otherwise. */
class CursorTest {
    static final String BY_P = "{'table':'t','order':[{'field':'p'}],'limit':%d%s}";

    LocalBackend b;

    @BeforeEach
    void tenRows() throws Exception {
        b = new LocalBackend(EngineOptions.defaults());
        for (int i = 0; i < 10; i++) {
            b.put("t", "r" + i, obj("{'p':" + (i * 10) + "}"), null);
        }
    }

    Query byP(int limit, String extra) throws LiveQueryException {
        return query(String.format(BY_P, limit, extra));
    }

    Query after(int limit, String cursor) throws LiveQueryException {
        return byP(limit, ",'after':'" + cursor + "'");
    }

    Query before(int limit, String cursor) throws LiveQueryException {
        return byP(limit, ",'before':'" + cursor + "'");
    }

    String cursorOf(String id) throws LiveQueryException {
        QueryResult all = b.query(byP(100, ""));
        return all.cursors().get(ids(all).indexOf(id));
    }

    @Test
    void oneShotCursorsRoundTripAsAfterAndBefore() throws Exception {
        QueryResult top = b.query(byP(3, ""));
        assertThat(ids(top)).containsExactly("r0", "r1", "r2");
        assertThat(top.cursors()).hasSize(3).doesNotHaveDuplicates();
        assertThat(top.hasMoreBefore()).isFalse();
        assertThat(top.hasMoreAfter()).isTrue();

        QueryResult next = b.query(after(3, top.cursors().get(2)));
        assertThat(ids(next)).containsExactly("r3", "r4", "r5");
        assertThat(next.hasMoreBefore()).isTrue();
        assertThat(next.hasMoreAfter()).isTrue();

        QueryResult back = b.query(before(3, next.cursors().get(0)));
        assertThat(ids(back)).containsExactly("r0", "r1", "r2");
        assertThat(back.hasMoreBefore()).isFalse();
        assertThat(back.hasMoreAfter()).isTrue();

        QueryResult mid = b.query(before(2, next.cursors().get(2)));
        assertThat(ids(mid)).containsExactly("r3", "r4");
        assertThat(mid.hasMoreBefore()).isTrue();

        QueryResult last = b.query(after(5, cursorOf("r6")));
        assertThat(ids(last)).containsExactly("r7", "r8", "r9");
        assertThat(last.hasMoreAfter()).isFalse();
        assertThat(last.hasMoreBefore()).isTrue();

        assertThat(ids(b.query(after(5, cursorOf("r9"))))).isEmpty();
        assertThat(ids(b.query(before(5, cursorOf("r0"))))).isEmpty();
    }

    @Test
    void cursorsAreStableAsciiAndEqualAcrossCalls() throws Exception {
        List<String> c1 = b.query(byP(10, "")).cursors();
        List<String> c2 = b.query(byP(10, "")).cursors();
        assertThat(c1).isEqualTo(c2);
        for (String c : c1) {
            assertThat(c).matches("[A-Za-z0-9_-]+");
        }
        // the window does not change the position's cursor
        assertThat(b.query(after(2, c1.get(4))).cursors().get(0)).isEqualTo(c1.get(5));
    }

    @Test
    void frameCursorsRoundTrip() throws Exception {
        Subscription s = b.subscribe(byP(4, ""), null, () -> {});
        List<Frame> fs = drain(s);
        assertThat(d(fs))
                .containsExactly(
                        "reset subscribe",
                        "enter r0@0",
                        "enter r1@1",
                        "enter r2@2",
                        "enter r3@3",
                        "ready before=false after=true");
        String c = as(Frame.Placed.class, fs.get(4)).cursor();
        assertThat(c).isEqualTo(cursorOf("r3"));
        assertThat(ids(b.query(after(2, c)))).containsExactly("r4", "r5");
        assertThat(ids(b.query(before(2, c)))).containsExactly("r1", "r2");

        s.reanchor(new Window(c, null, 2));
        assertThat(d(drain(s)))
                .containsExactly(
                        "leave r3@3",
                        "leave r2@2",
                        "leave r1@1",
                        "leave r0@0",
                        "enter r4@0",
                        "enter r5@1",
                        "ready before=true after=true");

        // the cursor of a live change frame works too
        b.put("t", "x", obj("{'p':45}"), null);
        List<Frame> change = drain(s);
        assertThat(d(change)).containsExactly("enter x@1", "leave r5@2");
        assertThat(ids(b.query(after(3, as(Frame.Placed.class, change.get(0)).cursor()))))
                .containsExactly("r5", "r6", "r7");
    }

    @Test
    void cursorsWorkOnMultiKeyDescOrdersAndEveryValueKind() throws Exception {
        LocalBackend m = new LocalBackend(EngineOptions.defaults());
        String[] vals = {
            null,
            "null",
            "false",
            "true",
            "-9223372036854775808",
            "-1.5",
            "0",
            "9007199254740993",
            "1e400",
            "''",
            "'b'",
            "'\\uD83D\\uDE00'",
            "'\\uFFFD'",
            "{'o':1}",
            "[1]",
            "18446744073709551616"
        };
        for (int i = 0; i < vals.length; i++) {
            String row = vals[i] == null ? "{'k':1}" : "{'k':1,'v':" + vals[i] + "}";
            m.put("t", "a" + i, obj(row), null);
            m.put("t", "b" + i, obj(row.replace("'k':1", "'k':2")), null);
        }
        Query all = query("{'table':'t','order':[{'field':'v','dir':'desc'},{'field':'k'}],'limit':1000}");
        List<String> expected = ids(m.query(all));
        assertThat(expected).hasSize(2 * vals.length);
        assertThat(expected.subList(0, 2)).containsExactly("a11", "b11"); // U+1F600 is the greatest string

        // walk forward one row at a time with after=cursor, and backward with before=cursor
        List<String> forward = new ArrayList<>();
        QueryResult page = m.query(all.withWindow(new Window(null, null, 1)));
        while (!page.rows().isEmpty()) {
            forward.add(page.rows().get(0).id());
            page = m.query(all.withWindow(new Window(page.cursors().get(0), null, 1)));
        }
        assertThat(forward).isEqualTo(expected);

        List<String> backward = new ArrayList<>();
        QueryResult full = m.query(all);
        String c = full.cursors().get(full.cursors().size() - 1);
        backward.add(expected.get(expected.size() - 1));
        while (true) {
            QueryResult p = m.query(all.withWindow(new Window(null, c, 1)));
            if (p.rows().isEmpty()) {
                break;
            }
            backward.add(0, p.rows().get(0).id());
            c = p.cursors().get(0);
        }
        assertThat(backward).isEqualTo(expected);
    }

    @Test
    void cursorOfAnotherShapeIsRefused() throws Exception {
        String c = cursorOf("r3");
        Query otherWhere =
                query("{'table':'t','where':{'p':{'gte':0}},'order':[{'field':'p'}],'limit':3,'after':'" + c + "'}");
        assertThat(fails(BAD_QUERY, () -> b.query(otherWhere)).getMessage()).contains("cursor");
        Query otherDir = query("{'table':'t','order':[{'field':'p','dir':'desc'}],'limit':3,'after':'" + c + "'}");
        fails(BAD_QUERY, () -> b.query(otherDir));
        Query noOrder = query("{'table':'t','limit':3,'before':'" + c + "'}");
        fails(BAD_QUERY, () -> b.query(noOrder));
        b.put("u", "r3", obj("{'p':30}"), null);
        Query otherTable = query("{'table':'u','order':[{'field':'p'}],'limit':3,'after':'" + c + "'}");
        fails(BAD_QUERY, () -> b.query(otherTable));
        fails(BAD_QUERY, () -> b.subscribe(otherWhere, null, () -> {}));
    }

    @Test
    void cursorFromAnotherServerWithTheSameSecretWorksAndWithAnotherSecretDoesNot() throws Exception {
        String c = cursorOf("r3");
        LocalBackend same = new LocalBackend(EngineOptions.defaults());
        LocalBackend other = new LocalBackend(EngineOptions.defaults()
                .withSecret("another-secret-of-32-bytes-length".getBytes(StandardCharsets.UTF_8)));
        for (LocalBackend x : List.of(same, other)) {
            for (int i = 0; i < 10; i++) {
                x.put("t", "r" + i, obj("{'p':" + (i * 10) + "}"), null);
            }
        }
        assertThat(ids(same.query(after(2, c)))).containsExactly("r4", "r5");
        fails(BAD_QUERY, () -> other.query(after(2, c)));
    }

    @Test
    void tamperedCursorIsRefused() throws Exception {
        String c = cursorOf("r3");
        int mid = c.length() / 2;
        String flipped = c.substring(0, mid) + (c.charAt(mid) == 'A' ? 'B' : 'A') + c.substring(mid + 1);
        assertThat(fails(BAD_QUERY, () -> b.query(after(3, flipped))).getMessage())
                .contains("altered");
        fails(BAD_QUERY, () -> b.query(after(3, c.substring(1))));
        fails(BAD_QUERY, () -> b.query(after(3, c.substring(0, c.length() - 1))));
        fails(BAD_QUERY, () -> b.query(after(3, c + "AA")));
    }

    @Test
    void everySingleCharacterEditIsRefusedOrMeansTheSamePosition() throws Exception {
        String c = cursorOf("r3");
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int accepted = 0;
        for (int i = 0; i < c.length(); i++) {
            for (char x : alphabet.toCharArray()) {
                if (x == c.charAt(i)) {
                    continue;
                }
                String edited = c.substring(0, i) + x + c.substring(i + 1);
                try {
                    QueryResult r = b.query(after(3, edited));
                    // only unused low bits of the last base64 digit may be ignored by the decoder
                    assertThat(i).as("edit at %d accepted", i).isEqualTo(c.length() - 1);
                    assertThat(Base64.getUrlDecoder().decode(edited))
                            .isEqualTo(Base64.getUrlDecoder().decode(c));
                    assertThat(ids(r)).containsExactly("r4", "r5", "r6");
                    accepted++;
                } catch (LiveQueryException e) {
                    assertThat(e.code()).isEqualTo(BAD_QUERY);
                }
            }
        }
        assertThat(accepted).isLessThan(16);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "x",
                "~",
                "!!!!",
                "not a cursor",
                "AAAAAAAAAAAAAAAAAAAAAAAA",
                "AQ",
                "////",
                "++++",
                "eyJpZCI6InIzIn0",
                "%41%41",
                "AQEC\u00e9"
            })
    void garbageIsRefused(String garbage) throws Exception {
        assertThat(fails(BAD_QUERY, () -> b.query(after(3, garbage))).getMessage())
                .contains("cursor");
        fails(BAD_QUERY, () -> b.query(before(3, garbage)));
        fails(BAD_QUERY, () -> b.subscribe(after(3, garbage), null, () -> {}));
    }

    @Test
    void overlongAndUnsignedGarbageIsRefused() throws Exception {
        fails(BAD_QUERY, () -> b.query(after(3, "A".repeat(Cursors.MAX_LENGTH + 1))));
        byte[] random = new byte[40];
        new java.util.Random(7).nextBytes(random);
        fails(
                BAD_QUERY,
                () -> b.query(after(3, Base64.getUrlEncoder().withoutPadding().encodeToString(random))));
        // a well-formed but unsigned payload (version byte, a long, an id) followed by a zero tag
        byte[] forged = {1, 4, 60, 2, 'r', '3', 0, 0, 0, 0, 0, 0, 0, 0};
        fails(
                BAD_QUERY,
                () -> b.query(after(3, Base64.getUrlEncoder().withoutPadding().encodeToString(forged))));
    }

    @Test
    void aCursorIsAPositionThatOutlivesItsRow() throws Exception {
        String c3 = cursorOf("r3");
        b.delete("t", "r3", null);
        assertThat(ids(b.query(after(3, c3)))).containsExactly("r4", "r5", "r6");
        assertThat(ids(b.query(before(3, c3)))).containsExactly("r0", "r1", "r2");

        String c5 = cursorOf("r5");
        b.put("t", "r5", obj("{'p':1000}"), null); // r5 moves to the end
        assertThat(ids(b.query(after(3, c5)))).containsExactly("r6", "r7", "r8");
        assertThat(ids(b.query(before(2, c5)))).containsExactly("r2", "r4");
        b.put("t", "r5", obj("{'p':-1}"), null); // and to the front
        assertThat(ids(b.query(after(2, c5)))).containsExactly("r6", "r7");

        // a row inserted at exactly the cursor's sort value sorts by id around the position
        b.put("t", "r3a", obj("{'p':30}"), null);
        b.put("t", "r2z", obj("{'p':30}"), null);
        assertThat(ids(b.query(after(2, c3)))).containsExactly("r3a", "r4");
        assertThat(ids(b.query(before(2, c3)))).containsExactly("r2", "r2z");

        // the table emptied: the cursor still parses and gives empty windows
        for (String id : ids(b.query(byP(100, "")))) {
            b.delete("t", id, null);
        }
        QueryResult empty = b.query(after(3, c3));
        assertThat(empty.rows()).isEmpty();
        assertThat(empty.hasMoreBefore()).isFalse();
        assertThat(empty.hasMoreAfter()).isFalse();
    }

    @Test
    void subscriptionAfterADeletedRowsCursor() throws Exception {
        String c3 = cursorOf("r3");
        b.delete("t", "r3", null);
        Subscription s = b.subscribe(after(2, c3), null, () -> {});
        assertThat(d(drain(s)))
                .containsExactly("reset subscribe", "enter r4@0", "enter r5@1", "ready before=true after=true");
    }

    @Test
    void limitOverTheMaxWindowIsRefused() throws Exception {
        assertThat(fails(BAD_QUERY, () -> b.query(byP(1001, ""))).getMessage())
                .contains("1001")
                .contains("1000");
        fails(BAD_QUERY, () -> b.subscribe(byP(1001, ""), null, () -> {}));
        assertThat(b.query(byP(1000, "")).rows()).hasSize(10);

        LocalBackend small = new LocalBackend(EngineOptions.defaults().withMaxWindow(5));
        small.put("t", "a", obj("{'p':1}"), null);
        fails(BAD_QUERY, () -> small.query(byP(6, "")));
        fails(BAD_QUERY, () -> small.subscribe(byP(6, ""), null, () -> {}));
        Subscription s = small.subscribe(byP(5, ""), null, () -> {});
        drain(s);
        fails(BAD_QUERY, () -> s.reanchor(new Window(null, null, 6)));
        assertThat(drain(s)).as("a refused reanchor sends nothing").isEmpty();
        assertThat(s.query().window().limit()).isEqualTo(5);
        assertThat(small.gauges()).containsEntry("subscriptions", 1L).containsEntry("views", 1L);
    }

    @Test
    void refusedReanchorCursorLeavesTheSubscriptionAlone() throws Exception {
        Subscription s = b.subscribe(byP(3, ""), null, () -> {});
        drain(s);
        String foreign = b.query(query("{'table':'t','order':[{'field':'q'}],'limit':3}"))
                .cursors()
                .get(0);
        fails(BAD_QUERY, () -> s.reanchor(new Window(foreign, null, 3)));
        fails(BAD_QUERY, () -> s.reanchor(new Window(null, "garbage", 3)));
        assertThat(drain(s)).isEmpty();
        assertThat(s.query().window()).isEqualTo(new Window(null, null, 3));
        b.put("t", "r1", obj("{'p':11}"), null);
        assertThat(d(drain(s))).containsExactly("update r1@1");
    }

    @Test
    void aRefusedSubscribeLeavesNoViewBehind() throws Exception {
        fails(BAD_QUERY, () -> b.subscribe(after(3, "garbage"), null, () -> {}));
        assertThat(b.gauges()).containsEntry("views", 0L).containsEntry("subscriptions", 0L);
    }

    @Test
    void cursorOfARowWithALongSortValueRoundTrips() throws Exception {
        LocalBackend m = new LocalBackend(EngineOptions.defaults());
        m.put("t", "a", obj("{'s':'" + "x".repeat(20_000) + "'}"), null);
        m.put("t", "b", obj("{'s':'y'}"), null);
        Query q = query("{'table':'t','order':[{'field':'s'}],'limit':1}");
        String c = m.query(q).cursors().get(0);
        assertThat(ids(m.query(q.withWindow(new Window(c, null, 1))))).containsExactly("b");
    }

    /** Unpaired surrogates are not Unicode: they have no code-point position a cursor could name. */
    @Test
    void writesWithLoneSurrogatesAreRefusedSoEveryStoredValueHasAPosition() throws Exception {
        LocalBackend m = new LocalBackend(EngineOptions.defaults());
        fails(LiveQueryException.Code.BAD_REQUEST, () -> m.put("t", "a", obj("{\"s\":\"\\ud800\"}"), null));
        fails(LiveQueryException.Code.BAD_REQUEST, () -> m.put("t", "\udc00x", obj("{}"), null));
        m.put("t", "p", obj("{\"s\":\"\\ud83d\\ude00\"}"), null); // a proper pair is fine
        fails(LiveQueryException.Code.BAD_REQUEST, () -> m.patch("t", "p", obj("{\"s\":\"x\\udfff\"}"), null));
        assertThat(m.get("t", "p").data().get("s").textValue()).isEqualTo("\ud83d\ude00");
    }
}
