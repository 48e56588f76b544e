package dev.livequery.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.gateway.auth.Rules.Op;
import org.junit.jupiter.api.Test;

class RulesTest {
    static JsonNode json(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static final Rules PROTOCOL_EXAMPLE = Rules.parse(RulesSource.text("""
            items:
              read:  {where: {tenant: "$claims.tenant"}}
              write: {where: {tenant: "$claims.tenant", owner: "$claims.sub"}}
            audit_log:
              read:  {roles: [admin]}
              write: false
            "*":
              read: false
            """, "test"), "test");

    @Test
    void theProtocolExample() {
        JsonNode acme = json("{\"sub\":\"u1\",\"tenant\":\"acme\"}");
        assertThat(PROTOCOL_EXAMPLE.grant("items", Op.READ, acme))
                .isEqualTo(Grant.where((com.fasterxml.jackson.databind.node.ObjectNode) json("{\"tenant\":\"acme\"}")));
        assertThat(PROTOCOL_EXAMPLE.grant("items", Op.WRITE, acme).where())
                .isEqualTo(json("{\"tenant\":\"acme\",\"owner\":\"u1\"}"));
        assertThat(PROTOCOL_EXAMPLE.grant("audit_log", Op.READ, acme)).isEqualTo(Grant.DENY);
        assertThat(PROTOCOL_EXAMPLE.grant("audit_log", Op.READ, json("{\"sub\":\"a\",\"roles\":[\"x\",\"admin\"]}")))
                .isEqualTo(Grant.ALL);
        assertThat(PROTOCOL_EXAMPLE.grant("audit_log", Op.READ, json("{\"sub\":\"a\",\"roles\":\"admin\"}")))
                .isEqualTo(Grant.ALL);
        assertThat(PROTOCOL_EXAMPLE.grant("audit_log", Op.WRITE, json("{\"sub\":\"a\",\"roles\":[\"admin\"]}")))
                .isEqualTo(Grant.DENY);
        // "*" names read only: any other table may be neither read nor written
        assertThat(PROTOCOL_EXAMPLE.grant("other", Op.READ, acme)).isEqualTo(Grant.DENY);
        assertThat(PROTOCOL_EXAMPLE.grant("other", Op.WRITE, acme)).isEqualTo(Grant.DENY);
    }

    @Test
    void anAbsentClaimDeniesInsteadOfMatchingAll() {
        assertThat(PROTOCOL_EXAMPLE.grant("items", Op.READ, json("{\"sub\":\"u1\"}")))
                .isEqualTo(Grant.DENY);
        assertThat(PROTOCOL_EXAMPLE.grant("items", Op.READ, json("{\"sub\":\"u1\",\"tenant\":null}")))
                .isEqualTo(Grant.DENY);
        assertThat(PROTOCOL_EXAMPLE.grant("items", Op.READ, json("{\"sub\":\"u1\",\"tenant\":{\"a\":1}}")))
                .isEqualTo(Grant.DENY);
        assertThat(PROTOCOL_EXAMPLE.grant("items", Op.WRITE, json("{\"tenant\":\"acme\"}")))
                .isEqualTo(Grant.DENY);
    }

    @Test
    void claimsAreValuesNeverQueryText() {
        JsonNode sneaky = json("{\"sub\":\"u1\",\"tenant\":\"$claims.sub\"}");
        assertThat(PROTOCOL_EXAMPLE.grant("items", Op.READ, sneaky).where())
                .isEqualTo(json("{\"tenant\":\"$claims.sub\"}"));
        JsonNode numeric = json("{\"sub\":\"u1\",\"tenant\":7}");
        assertThat(PROTOCOL_EXAMPLE.grant("items", Op.READ, numeric).where()).isEqualTo(json("{\"tenant\":7}"));
    }

    @Test
    void aListIsAnyOf() {
        Rules r = Rules.parse(json("""
                {"docs": {"read": [{"roles": ["admin"]}, {"where": {"owner": "$claims.sub"}},
                                    {"where": {"public": true}}]}}"""), "t");
        assertThat(r.grant("docs", Op.READ, json("{\"sub\":\"u\",\"roles\":[\"admin\"]}")))
                .isEqualTo(Grant.ALL);
        assertThat(r.grant("docs", Op.READ, json("{\"sub\":\"u\"}")).where())
                .isEqualTo(json("{\"or\":[{\"owner\":\"u\"},{\"public\":true}]}"));
        // the branch whose claim is absent drops out, the others still grant
        assertThat(r.grant("docs", Op.READ, json("{}")).where()).isEqualTo(json("{\"public\":true}"));
        assertThat(r.grant("docs", Op.WRITE, json("{\"sub\":\"u\"}"))).isEqualTo(Grant.DENY);
        assertThat(Rules.parse(json("{\"t\":{\"read\":[]}}"), "x").grant("t", Op.READ, json("{}")))
                .isEqualTo(Grant.DENY);
    }

    @Test
    void rolesAndWhereMustBothHold() {
        Rules r = Rules.parse(
                json("{\"t\":{\"write\":{\"roles\":[\"editor\"],\"where\":{\"tenant\":\"$claims.tenant\"}}}}"), "x");
        assertThat(r.grant("t", Op.WRITE, json("{\"tenant\":\"a\"}"))).isEqualTo(Grant.DENY);
        assertThat(r.grant("t", Op.WRITE, json("{\"tenant\":\"a\",\"roles\":[\"editor\"]}"))
                        .where())
                .isEqualTo(json("{\"tenant\":\"a\"}"));
    }

    @Test
    void theStarEntryCoversOnlyTablesNotListed() {
        Rules r = Rules.parse(json("{\"a\":{\"read\":true},\"*\":{\"read\":true,\"write\":true}}"), "x");
        assertThat(r.grant("a", Op.WRITE, json("{}"))).isEqualTo(Grant.DENY);
        assertThat(r.grant("b", Op.WRITE, json("{}"))).isEqualTo(Grant.ALL);
        assertThat(Rules.denyAll().grant("a", Op.READ, json("{}"))).isEqualTo(Grant.DENY);
    }

    @Test
    void mistakesFailTheStartWithThePath() {
        assertThatThrownBy(() -> Rules.parse(json("{\"items\":{\"raed\":true}}"), "rules"))
                .hasMessageContaining("rules.items.raed");
        assertThatThrownBy(() -> Rules.parse(json("{\"Items\":{\"read\":true}}"), "rules"))
                .hasMessageContaining("rules.Items");
        assertThatThrownBy(() -> Rules.parse(json("{\"i\":{\"read\":{\"where\":{\"a\":{\"like\":1}}}}}"), "rules"))
                .hasMessageContaining("rules.i.read.where");
        assertThatThrownBy(() -> Rules.parse(json("{\"i\":{\"read\":{\"who\":1}}}"), "rules"))
                .hasMessageContaining("rules.i.read.who");
        assertThatThrownBy(() -> Rules.parse(json("{\"i\":{\"read\":[{\"where\":{\"or\":[{\"a\":1}]}}]}}"), "rules"))
                .hasMessageContaining("rules.i.read[0].where");
        assertThatThrownBy(() -> Rules.parse(json("{\"i\":{\"read\":{\"roles\":[]}}}"), "rules"))
                .hasMessageContaining("rules.i.read.roles");
        assertThatThrownBy(() -> Rules.parse(json("{\"i\":{\"read\":\"yes\"}}"), "rules"))
                .hasMessageContaining("rules.i.read");
        assertThatThrownBy(() -> Rules.parse(json("[1]"), "rules")).hasMessageContaining("top level");
    }

    @Test
    void claimsInAnInListAreChecked() {
        Rules r = Rules.parse(json("{\"t\":{\"read\":{\"where\":{\"tenant\":{\"in\":\"$claims.tenants\"}}}}}"), "x");
        assertThat(r.grant("t", Op.READ, json("{\"tenants\":[\"a\",\"b\"]}")).where())
                .isEqualTo(json("{\"tenant\":{\"in\":[\"a\",\"b\"]}}"));
    }
}
