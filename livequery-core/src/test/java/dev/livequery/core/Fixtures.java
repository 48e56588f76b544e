package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** Small helpers shared by the unit tests of this package. */
final class Fixtures {
    private Fixtures() {}

    /** Parses JSON, accepting single quotes for readability: {@code json("{'a':1}")}. */
    static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text.replace('\'', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    static ObjectNode obj(String text) {
        return (ObjectNode) json(text);
    }

    static Query query(String text) throws LiveQueryException {
        return Query.parse(json(text));
    }

    interface Call {
        void run() throws Exception;
    }

    /** Runs {@code c}, asserts it throws a LiveQueryException with {@code code}, and returns it. */
    static LiveQueryException fails(LiveQueryException.Code code, Call c) {
        LiveQueryException e = catchThrowableOfType(LiveQueryException.class, c::run);
        assertThat(e).as("expected LiveQueryException %s", code).isNotNull();
        assertThat(e.code()).as("code of: %s", e.getMessage()).isEqualTo(code);
        assertThat(e.getMessage()).isNotBlank();
        return e;
    }

    /** All frames currently drainable, including a pending reset snapshot. */
    static List<Frame> drain(Subscription s) {
        List<Frame> out = new ArrayList<>();
        while (s.drain(out, 10_000) > 0) {
            // keep going
        }
        return out;
    }

    /** Compact description of a frame for exact assertions, e.g. {@code enter a@0}, {@code move a 3>1}. */
    static String d(Frame f) {
        return switch (f) {
            case Frame.Reset r -> "reset " + r.cause();
            case Frame.Enter e -> "enter " + e.id() + "@" + e.newIndex();
            case Frame.Update u -> "update " + u.id() + "@" + u.newIndex();
            case Frame.Leave l -> "leave " + l.id() + "@" + l.oldIndex();
            case Frame.Move m -> "move " + m.id() + " " + m.oldIndex() + ">" + m.newIndex();
            case Frame.Ready r ->
                "ready before=" + r.hasMoreBefore() + " after=" + r.hasMoreAfter() + (r.resumed() ? " resumed" : "");
            default -> f.op().wire();
        };
    }

    /** {@code f} as a frame of kind {@code kind}, failing the test with the frame if it is another. */
    static <T> T as(Class<T> kind, Frame f) {
        assertThat(f).as("a %s frame", kind.getSimpleName()).isInstanceOf(kind);
        return kind.cast(f);
    }

    static List<String> d(List<Frame> fs) {
        return fs.stream().map(Fixtures::d).toList();
    }

    static List<String> ids(QueryResult r) {
        return r.rows().stream().map(Row::id).toList();
    }
}
