package dev.livequery.redis.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livequery.core.LiveQueryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The keep request on the wire: one encoding, one parser, bounded. */
class ControlKeepTest {
    @Test
    void aKeepRoundTrips() throws Exception {
        for (List<String> atts :
                List.of(List.<String>of(), List.of("gw.inc.1"), List.of("g,w.i\\\"nc.2", "gw.inc.3"))) {
            Control.Keep k = new Control.Keep("g,w", atts);
            assertThat(Control.parse(k.map())).isEqualTo(k);
        }
    }

    @Test
    void aBadOrOversizedKeepIsABadRequest() {
        for (String bad : new String[] {"x", "{}", "[1]", "[\"a\",null]"}) {
            assertThatThrownBy(() -> Control.parse(Map.of("op", "keep", "gw", "g", "atts", bad)))
                    .as(bad)
                    .isInstanceOf(LiveQueryException.class);
        }
        assertThatThrownBy(() -> Control.parse(Map.of("op", "keep", "gw", "g"))).isInstanceOf(LiveQueryException.class);
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= Control.Keep.MAX_KEEP; i++) {
            many.add("gw.inc." + i);
        }
        assertThatThrownBy(() -> new Control.Keep("g", many)).isInstanceOf(IllegalArgumentException.class);
        String json = many.stream().map(a -> "\"" + a + "\"").toList().toString();
        assertThatThrownBy(() -> Control.parse(Map.of("op", "keep", "gw", "g", "atts", json)))
                .isInstanceOf(LiveQueryException.class);
    }
}
