package dev.livequery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The load generator's frame parser must read rows exactly as the server's own parser does. */
class FrameJsonTest {
    private static final String FRAME =
            "{\"op\":\"enter\",\"sub\":\"s0\",\"row\":{\"id\":\"a\",\"p\":0.10,\"big\":1e400,\"n\":12345678901234567890,"
                    + "\"s\":\"\\u00e9\",\"xs\":[1,2.50,null]},\"new_index\":0}";

    @Test
    void numbersStayExactAsTheServerReadsThem() throws Exception {
        JsonNode f = FrameJson.parse(FRAME);
        assertThat(f).isEqualTo(Json.MAPPER.readTree(FRAME));
        assertThat(f.at("/row/p").decimalValue()).isEqualTo(new BigDecimal("0.10"));
        assertThat(f.at("/row/big").decimalValue()).isEqualTo(new BigDecimal("1e400"));
        assertThat(f.at("/row/xs/1").decimalValue()).isEqualTo(new BigDecimal("2.50"));
    }

    @Test
    void bytesAndTextParseAlike() {
        JsonNode fromBytes = FrameJson.parse(new ByteArrayInputStream(FRAME.getBytes(StandardCharsets.UTF_8)));
        assertThat(fromBytes).isEqualTo(FrameJson.parse(FRAME));
        assertThat(fromBytes.at("/row/s").textValue()).isEqualTo("é");
    }

    @Test
    void aBrokenFrameIsAnErrorNamingIt() {
        assertThatThrownBy(() -> FrameJson.parse("{\"op\":"))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("{\"op\":");
    }
}
