package dev.livequery.gateway.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Window;

/**
 * Fuzz target for the WebSocket command parser ({@link WsCommand}, what {@link LiveSocket} runs on
 * every client message): each step, for every message, either returns or throws a coded
 * {@link LiveQueryException}. All steps run whatever the {@code action} says, so the fuzzer need not
 * guess action names to reach the subscribe and reanchor argument parsers.
 *
 * <p>{@code mvn verify} replays the regression corpus under {@code src/test/resources/…/WsCommandFuzzTestInputs};
 * {@code JAZZER_FUZZ=1 ./mvnw -pl gateway -am verify -Dtest=WsCommandFuzzTest} fuzzes for real.
 */
class WsCommandFuzzTest {
    private static final Window CURRENT = window();

    private static Window window() {
        try {
            return Window.of(null, null, 50);
        } catch (LiveQueryException e) {
            throw new IllegalStateException(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void commands(FuzzedDataProvider data) {
        String message = data.consumeRemainingAsString();
        JsonNode msg;
        try {
            msg = WsCommand.json(message);
        } catch (LiveQueryException e) {
            coded(e);
            return;
        }
        String replySub = WsCommand.replySub(msg);
        assertThat(replySub == null || msg.get("sub").textValue().equals(replySub))
                .isTrue();
        try {
            WsCommand.action(msg);
        } catch (LiveQueryException e) {
            coded(e);
            return; // LiveSocket stops here too: the steps below see only JSON objects
        }
        try {
            assertThat(WsCommand.sub(msg)).hasSizeBetween(1, 64);
        } catch (LiveQueryException e) {
            coded(e);
        }
        try {
            WsCommand.Subscribe s = WsCommand.subscribe(msg);
            assertThat(s.query()).isNotNull();
        } catch (LiveQueryException e) {
            coded(e);
        }
        try {
            assertThat(WsCommand.reanchor(msg, CURRENT)).isNotNull();
        } catch (LiveQueryException e) {
            coded(e);
        }
    }

    private static void coded(LiveQueryException e) {
        assertThat(e.code()).isNotNull();
        assertThat(e.getMessage()).isNotBlank();
    }
}
