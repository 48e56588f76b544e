package dev.livequery.core;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;

/**
 * The one Jackson configuration every module shares.
 *
 * <p>Floats are read as {@link java.math.BigDecimal} and kept exact, so {@code 0.1} and
 * {@code 1e400} are compared and returned exactly (PROTOCOL §1); duplicate keys are an error,
 * not a silent last-wins.
 */
public final class Json {
    /** Thread-safe, shared mapper. Do not reconfigure. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(1000).build());
    }

    private Json() {
    }
}
