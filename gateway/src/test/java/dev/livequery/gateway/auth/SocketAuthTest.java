package dev.livequery.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A connection's end hook ({@code SocketAuth.close}) runs on its writer thread while a command may
 * still be on its reader thread: a command that comes after the close must take no lease, since
 * nothing would give it back.
 */
class SocketAuthTest {
    private static final Auth AUTH = Auth.start(
            AuthSettings.from(Config.just(ConfigSources.create(Map.of(
                    "livequery.auth.mode", "jwt",
                    "livequery.secret", "socket-auth-test-secret",
                    "livequery.auth.jwt.hs256-secret", "socket-auth-test-hs256-secret-0123456789",
                    "livequery.auth.rules", "{\"open\":{\"read\":true}}",
                    "livequery.limits.per-principal.connections", "1",
                    "livequery.limits.per-address.awaiting-auth", "1")))),
            "socket-auth-test-secret");

    private static JsonNode auth(String sub) {
        return Json.MAPPER
                .createObjectNode()
                .put("action", "auth")
                .put("token", TokenMain.mint(new String[] {"--sub", sub, "--ttl", "1h"}, AUTH.settings()));
    }

    @Test
    void commandsAfterTheEndTakeNoLease() throws Exception {
        SocketAuth ended = new SocketAuth(AUTH);
        assertThat(ended.open("10.0.0.1", () -> {}, () -> {}, () -> {}, () -> {}))
                .isTrue();
        ended.close(); // the connection's end hook, before its reader handled these
        ended.command(auth("u1"));
        assertThatThrownBy(() ->
                        ended.subscribe("s", Query.parse(Json.MAPPER.readTree("{\"table\":\"open\",\"limit\":5}"))))
                .as("no subscription lease either")
                .isInstanceOf(LiveQueryException.class);

        AtomicBoolean overQuota = new AtomicBoolean();
        SocketAuth next = new SocketAuth(AUTH);
        assertThat(next.open("10.0.0.1", () -> {}, () -> {}, () -> overQuota.set(true), () -> {}))
                .as("the address's one awaiting-auth slot is free")
                .isTrue();
        next.command(auth("u1"));
        assertThat(overQuota).as("u1's one connection is free").isFalse();
        next.close();
    }
}
