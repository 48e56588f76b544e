package dev.livequery.core;

import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FrameBytes} writes exactly the bytes Jackson's generator writes ({@link FrameCodec#jackson}),
 * or leaves the frame to it: frames are the wire contract, byte for byte.
 */
class FrameBytesTest {
    private static final String CHARS = "aZ09 -_.~!\"\\/\u0001\n\u007f\u00e9\u0800\u20ac\uffff\ud83d\ude00";

    @Test
    void engineFramesOfEveryKindEncodeAsJacksonDoes() throws Exception {
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        for (int i = 0; i < 6; i++) {
            b.put("t", "r" + i, obj("{'p':" + (10 * i) + ",'s':'\u00e9\u20ac'}"), null);
        }
        Subscription s = b.subscribe(query("{'table':'t','order':[{'field':'p'}],'limit':3}"), null, () -> {});
        List<Frame> fs = new ArrayList<>(drain(s));
        b.put("t", "r1", obj("{'p':11,'x':\"a \\\"quoted\\\" \\u2028 text\"}"), null);
        b.put("t", "r0", obj("{'p':25,'e':'\ud83d\ude00'}"), null);
        b.put("t", "n", obj("{'p':-1}"), null);
        s.reanchor(new Window(null, null, 2));
        fs.addAll(drain(s));
        fs.add(Frame.error(LiveQueryException.Code.TOO_LARGE, "line\nbreak"));
        fs.add(Frame.error(LiveQueryException.Code.TOO_LARGE, "plain words"));
        fs.add(Frame.closed(Frame.Closed.Cause.REVOKED));
        fs.add(Frame.status(Frame.Status.State.LIVE));
        fs.add(Frame.pong());
        assertThat(fs.stream().map(Frame::op).toList()).contains(Frame.Op.values());
        int plain = 0;
        for (Frame f : fs) {
            byte[] mine = FrameBytes.encode(f);
            if (mine != null) {
                plain++;
                assertThat(new String(mine, java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo(new String(FrameCodec.jackson(f), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        assertThat(plain).isGreaterThan(fs.size() / 2);
    }

    @Test
    void decodedFramesWithRandomStringsEncodeAsJacksonDoes() throws Exception {
        SplittableRandom rnd = new SplittableRandom(16);
        int plain = 0;
        for (int i = 0; i < 3000; i++) {
            String json = switch (rnd.nextInt(4)) {
                case 0 ->
                    "{\"op\":\"move\",\"eid\":" + q(rnd) + ",\"id\":" + q(rnd) + ",\"version\":"
                            + rnd.nextLong() + ",\"old_index\":" + rnd.nextInt() + ",\"new_index\":"
                            + rnd.nextInt() + ",\"cursor\":" + q(rnd) + ",\"row\":{\"id\":" + q(rnd)
                            + ",\"v\":" + q(rnd) + ",\"n\":" + rnd.nextInt(-5, 5) + ".5}}";
                case 1 ->
                    "{\"op\":\"leave\",\"eid\":" + q(rnd) + ",\"id\":" + q(rnd) + ",\"version\":" + rnd.nextLong()
                            + ",\"old_index\":" + rnd.nextInt(100) + "}";
                case 2 -> "{\"op\":\"reset\",\"cause\":" + q(rnd) + ",\"epoch\":" + rnd.nextLong() + "}";
                default -> "{\"op\":\"error\",\"code\":\"too_large\",\"message\":" + q(rnd) + "}";
            };
            Frame f = FrameCodec.decode(json);
            byte[] mine = FrameBytes.encode(f);
            if (mine != null) {
                plain++;
                assertThat(mine).as(json).isEqualTo(FrameCodec.jackson(f));
            }
        }
        assertThat(plain).isGreaterThan(300);
    }

    /** A JSON string literal of random characters, some needing escapes. */
    private static String q(SplittableRandom rnd) {
        StringBuilder b = new StringBuilder();
        boolean plainOnly = rnd.nextInt(3) > 0;
        for (int n = rnd.nextInt(10); n > 0; n--) {
            int at = rnd.nextInt(plainOnly ? 10 : CHARS.length());
            char c = CHARS.charAt(at);
            if (Character.isHighSurrogate(c)) {
                b.append(c).append(CHARS.charAt(at + 1));
            } else if (!Character.isLowSurrogate(c)) {
                b.append(c);
            }
        }
        return Json.text(Json.MAPPER.getNodeFactory().textNode(b.toString()));
    }
}
