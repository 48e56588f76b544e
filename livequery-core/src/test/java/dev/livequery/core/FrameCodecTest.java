package dev.livequery.core;

import static dev.livequery.core.Fixtures.drain;
import static dev.livequery.core.Fixtures.fails;
import static dev.livequery.core.Fixtures.obj;
import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link FrameCodec#decode}: how a gateway takes frames a shard encoded. A decoded frame must
 * encode to the very bytes it was decoded from (with or without a {@code sub}), for every kind;
 * anything that is not a frame is a coded {@code bad_request}.
 */
class FrameCodecTest {
    @Test
    void aDecodedFrameEncodesToTheSameBytesForEveryKind() throws Exception {
        LocalBackend b = new LocalBackend(EngineOptions.defaults());
        for (int i = 0; i < 6; i++) {
            b.put("t", "r" + i, obj("{'p':" + (10 * i) + "}"), null);
        }
        Subscription s = b.subscribe(query("{'table':'t','order':[{'field':'p'}],'limit':3}"), null, () -> {});
        List<Frame> fs = new ArrayList<>(drain(s)); // reset, enters, ready
        b.put("t", "r1", obj("{'p':11,'x':\"a \\\"quoted\\\" \\u2028 text\"}"), null); // update
        b.put("t", "r0", obj("{'p':25}"), null); // move
        b.put("t", "n", obj("{'p':1}"), null); // enter + leave
        s.reanchor(new Window(null, null, 2)); // leave + ready
        fs.addAll(drain(s));
        fs.add(Frame.error(LiveQueryException.Code.TOO_LARGE, "line\nbreak"));
        fs.add(Frame.closed(Frame.Closed.Cause.REVOKED));
        fs.add(Frame.status(Frame.Status.State.LIVE));
        fs.add(Frame.pong());
        assertThat(fs.stream().map(Frame::op).toList()).contains(Frame.Op.values());

        for (Frame f : fs) {
            String json = FrameCodec.toJson(f, null);
            Frame back = FrameCodec.decode(json);
            assertThat(back).as(json).hasSameClassAs(f);
            assertThat(FrameCodec.toJson(back, null)).isEqualTo(json);
            assertThat(FrameCodec.toJson(back, "s\"1")).isEqualTo(FrameCodec.toJson(f, "s\"1"));
            assertThat(back.eid()).isEqualTo(f.eid());
            // a sub on the way in is dropped: the gateway splices its own
            assertThat(FrameCodec.toJson(FrameCodec.decode(FrameCodec.toJson(f, "other")), null))
                    .isEqualTo(json);
        }
    }

    @Test
    void whatIsNotAFrameIsABadRequest() {
        for (String bad : List.of(
                "",
                "[1]",
                "{}",
                "{\"op\":\"shout\"}",
                "{\"op\":\"enter\",\"id\":\"a\",\"new_index\":0}",
                "{\"op\":\"status\",\"state\":\"sleepy\"}",
                "{\"op\":\"closed\",\"cause\":\"bored\"}",
                "{\"op\":\"error\",\"code\":\"no_such_code\",\"message\":\"m\"}",
                "{not json")) {
            assertThat(fails(LiveQueryException.Code.BAD_REQUEST, () -> FrameCodec.decode(bad))
                            .getMessage())
                    .as(bad)
                    .startsWith("not a frame");
        }
    }
}
