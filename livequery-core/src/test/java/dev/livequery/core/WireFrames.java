package dev.livequery.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.testkit.Replica;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Hands engine frames to the test kit's {@link Replica} the way a client gets them: as their wire
 * JSON, so every replica check also reads what {@link FrameCodec} wrote.
 */
final class WireFrames {
    private WireFrames() {}

    /** Applies an engine frame; the engine itself never emits the transport's frames. */
    static void apply(Replica r, Frame f) {
        if (f instanceof Frame.Error
                || f instanceof Frame.Closed
                || f instanceof Frame.Status
                || f instanceof Frame.Pong) {
            throw new AssertionError("the engine emitted a transport-only frame: " + f);
        }
        r.apply(json(f));
    }

    static JsonNode json(Frame f) {
        try {
            return Json.MAPPER.readTree(FrameCodec.encoded(f));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A stored row as a client receives it: its JSON text read back. A number stored as a
     * BigDecimal of scale 0 is written {@code 1} and so reads back as an integer, as any client's
     * would; 1.0 stays 1.0.
     */
    static JsonNode asSent(JsonNode stored) {
        try {
            return Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(stored));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
