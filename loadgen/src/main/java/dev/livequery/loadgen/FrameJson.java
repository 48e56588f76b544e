package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * How the load generator parses the frames it receives, from every server it measures.
 *
 * <p>Not {@code dev.livequery.core.Json.MAPPER}: that is the gateway's, built for untrusted input
 * on virtual threads, with duplicate-key detection (a set of names per object) and a shared
 * concurrent buffer pool. Here the input is the measured server's frames on a few platform event
 * loops; in the 10k reconnect storm, where the load generator shares the two cores with the
 * gateway, those two were ~8% of its CPU. Numbers stay exact ({@code BigDecimal}) because the
 * replicas are compared with the server's rows. The wire tests (the test kit's clients) still
 * refuse duplicate keys in frames.
 */
final class FrameJson {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
            .build();

    private FrameJson() {}

    static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("not a JSON frame: " + text, e);
        }
    }

    static JsonNode parse(InputStream utf8) {
        try {
            return MAPPER.readTree(utf8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
