package dev.livequery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseEventsTest {
    @Test
    void dispatchesMessagesWithTheirIdAndSkipsNamedEvents() {
        List<String> got = new ArrayList<>();
        SseEvents e = new SseEvents((data, id) -> got.add(id + "=" + data));
        for (String line : List.of(
                "retry: 1000",
                "id: t1",
                "data: {\"op\":\"ready\"}",
                "",
                "event: heartbeat",
                "data: {}",
                "",
                ": comment",
                "data:a",
                "data: b",
                "")) {
            e.line(line);
        }
        assertThat(got).containsExactly("t1={\"op\":\"ready\"}", "null=a\nb");
    }
}
