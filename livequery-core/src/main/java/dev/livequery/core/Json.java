package dev.livequery.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;

/**
 * The one Jackson configuration every module shares.
 *
 * <p>Floats are read as {@link java.math.BigDecimal} and kept exact, so {@code 0.1} and
 * {@code 1e400} are compared and returned exactly (PROTOCOL §1); duplicate keys are an error,
 * not a silent last-wins.
 *
 * <p>Jackson's parse and write buffers come from one shared pool instead of its default
 * per-thread one: the gateway parses and writes on virtual threads, two per connection, and a
 * per-thread pool kept ~25 KB of char[]/byte[] buffers alive for every connection (most of the
 * heap per connection, all of it copied by young GCs while 10k clients connect).
 */
public final class Json {
    /** Thread-safe, shared mapper. Do not reconfigure. */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool()).build())
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
