package dev.livequery.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one Jackson configuration every module shares.
 *
 * <p>Floats are read as {@link java.math.BigDecimal} and kept exact, so {@code 0.1} and
 * {@code 1e400} are compared and returned exactly (PROTOCOL §1); duplicate keys are an error,
 * not a silent last-wins.
 *
 * <p>Jackson's buffers come from one shared pool, not its default per-thread pool: parsing and
 * encoding happen on virtual threads, one or two per connection, and per-thread buffers (several
 * KB each) were most of the heap of an idle connection.
 */
public final class Json {
    /** Thread-safe, shared mapper. Do not reconfigure. */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                    .build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
            .build();

    static {
        MAPPER.getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(64)
                        .maxNumberLength(1000)
                        .build());
    }

    private Json() {}

    /**
     * {@code node.toString()}, the same text, made by {@link RowText}: Jackson's own encoding
     * ({@link #jackson}) builds a serializer provider and a generator per call, which for the
     * small bodies of a write's answer or an error cost more than the text, and
     * {@code JsonNode.toString()} besides keeps its buffers per thread (per connection, on
     * virtual threads). Kinds {@link RowText} leaves alone go to Jackson.
     */
    public static String text(JsonNode node) {
        return RowText.of(node);
    }

    /** The text Jackson's tree serialization with {@link #MAPPER} makes: the reference {@link RowText} matches. */
    static String jackson(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree failed to encode", e);
        }
    }
}
