package dev.livequery.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RulesSourceTest {
    @Test
    void theConfigTreeKeepsBooleansAndNumbers() throws Exception {
        Config c = Config.just(ConfigSources.create("""
                livequery:
                  auth:
                    rules:
                      items:
                        read: {where: {tenant: "$claims.tenant", level: 3}}
                        write: false
                      "*":
                        read: true
                """, io.helidon.common.media.type.MediaTypes.APPLICATION_X_YAML));
        AuthSettings s = AuthSettings.from(c);
        JsonNode expect = Json.MAPPER.readTree("""
                {"items":{"read":{"where":{"tenant":"$claims.tenant","level":3}},"write":false},"*":{"read":true}}""");
        assertThat(s.rules()).isEqualTo(expect);
    }

    @Test
    void aRulesFileIsYamlOrJson(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("rules.yaml");
        Files.writeString(yaml, "items:\n  read: {where: {tenant: \"$claims.tenant\"}}\n");
        Path json = dir.resolve("rules.json");
        Files.writeString(json, "{\"items\":{\"read\":{\"where\":{\"tenant\":\"$claims.tenant\"}}}}");
        for (Path p : new Path[] {yaml, json}) {
            AuthSettings s = AuthSettings.from(
                    Config.just(ConfigSources.create(Map.of("livequery.auth.rules-file", p.toString()))));
            assertThat(s.rules().at("/items/read/where/tenant").textValue()).isEqualTo("$claims.tenant");
            assertThat(s.rulesOrigin()).isEqualTo(p.toString());
        }
    }

    /**
     * System properties and other flat sources can only spell a list as numbered keys
     * ({@code roles.0=admin}); Helidon gives those back as an object, which must read as the list.
     */
    @Test
    void numberedKeysOfAFlatSourceAreLists() throws Exception {
        Map<String, String> flat = new java.util.LinkedHashMap<>();
        flat.put("livequery.auth.rules.audit_log.read.roles.0", "admin");
        flat.put("livequery.auth.rules.audit_log.read.roles.1", "ops");
        flat.put("livequery.auth.rules.items.read.where.tenant.in.0", "acme");
        flat.put("livequery.auth.rules.items.read.where.tenant.in.1", "beta");
        flat.put("livequery.auth.rules.items.write.1.where.owner", "$claims.sub");
        flat.put("livequery.auth.rules.items.write.0.roles.0", "admin");
        AuthSettings s = AuthSettings.from(Config.just(ConfigSources.create(flat)));
        JsonNode expect = Json.MAPPER.readTree("""
                {"audit_log":{"read":{"roles":["admin","ops"]}},
                 "items":{"read":{"where":{"tenant":{"in":["acme","beta"]}}},
                          "write":[{"roles":["admin"]},{"where":{"owner":"$claims.sub"}}]}}""");
        assertThat(s.rules()).isEqualTo(expect);
        Rules.parse(s.rules(), s.rulesOrigin()); // and the rules start
    }
}
