package dev.livequery.core;

import static dev.livequery.core.Fixtures.query;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QueryJsonRoundTripTest {
    @Test
    void toJsonParsesBackToAnEqualQuery() throws Exception {
        Query q = query("{'table':'t','where':{'b':{'in':[2,1.0]},'a':'x','or':[{'c':{'gt':1}},{'d':{'exists':true}}]},"
                + "'order':[{'field':'p','dir':'desc'},{'field':'n'}],'limit':7}");
        Query back = Query.parse(q.toJson());
        assertThat(back).isEqualTo(q);
        assertThat(back.toJson()).isEqualTo(q.toJson());
        Query paged = q.withWindow(new Window(null, "CURSOR", 3));
        assertThat(Query.parse(paged.toJson()).window()).isEqualTo(new Window(null, "CURSOR", 3));
    }

    @Test
    void everyCodeRoundTripsThroughItsWireSpelling() {
        for (LiveQueryException.Code c : LiveQueryException.Code.values()) {
            assertThat(LiveQueryException.Code.fromWire(c.wire())).isEqualTo(c);
        }
        assertThat(LiveQueryException.Code.fromWire("nope")).isNull();
    }
}
