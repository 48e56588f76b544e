package dev.livequery.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.core.Where;
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
        assertThatThrownBy(() ->
                        Rules.parse(json("{\"i\":{\"read\":[{\"where\":{\"or\":[{\"a\":{\"x\":1}}]}}]}}"), "rules"))
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

    static final Rules DISTRIBUTED = Rules.parse(json("""
            {"docs": {"read": [{"where": {"owner": "$claims.sub"}},
                               {"where": {"tenant": "$claims.tenant", "level": {"gte": 0},
                                          "or": [{"public": true}, {"level": {"lte": 2}}]}}]}}"""), "t");

    @Test
    void aListMemberWithItsOwnOrIsDistributedOverTheRestOfItsWhere() throws Exception {
        JsonNode claims = json("{\"sub\":\"u\",\"tenant\":\"acme\"}");
        assertThat(DISTRIBUTED.grant("docs", Op.READ, claims).where()).isEqualTo(json("""
                        {"or": [{"owner": "u"},
                                {"tenant": "acme", "level": {"gte": 0}, "public": true},
                                {"tenant": "acme", "level": {"gte": 0, "lte": 2}}]}"""));
        // the grant admits exactly the rows the rule describes: owner = u, or tenant = acme and
        // level >= 0 and (public or level <= 2)
        Where w = Scoped.where(DISTRIBUTED.grant("docs", Op.READ, claims));
        java.util.Random rnd = new java.util.Random(12);
        int admitted = 0;
        for (int i = 0; i < 2000; i++) {
            ObjectNode row = Json.MAPPER.createObjectNode().put("id", "r" + i);
            String owner = pick(rnd, "u", "v", null);
            String tenant = pick(rnd, "acme", "globex", null);
            if (owner != null) row.put("owner", owner);
            if (tenant != null) row.put("tenant", tenant);
            if (rnd.nextBoolean()) row.put("public", rnd.nextBoolean());
            if (rnd.nextInt(4) > 0) row.put("level", rnd.nextInt(7) - 2);
            boolean truth = "u".equals(owner)
                    || ("acme".equals(tenant)
                            && row.has("level")
                            && row.get("level").asInt() >= 0
                            && (row.path("public").asBoolean(false)
                                    || row.get("level").asInt() <= 2));
            assertThat(w.matches(row)).as(row.toString()).isEqualTo(truth);
            admitted += truth ? 1 : 0;
        }
        assertThat(admitted).isBetween(200, 1800);
    }

    static String pick(java.util.Random rnd, String... options) {
        return options[rnd.nextInt(options.length)];
    }

    @Test
    void aDistributedMemberIsDeniedWholeWhenAClaimIsAbsentAndKeepsItsRoles() {
        // no tenant claim: the distributed member drops out, the owner member still grants
        assertThat(DISTRIBUTED.grant("docs", Op.READ, json("{\"sub\":\"u\"}")).where())
                .isEqualTo(json("{\"owner\":\"u\"}"));
        Rules r = Rules.parse(json("""
                {"t": {"read": [{"roles": ["editor"], "where": {"or": [{"a": 1}, {"b": "$claims.b"}]}},
                                {"where": {"c": 3}}]}}"""), "x");
        assertThat(r.grant("t", Op.READ, json("{\"b\":2}")).where()).isEqualTo(json("{\"c\":3}"));
        assertThat(r.grant("t", Op.READ, json("{\"roles\":[\"editor\"]}")).where())
                .isEqualTo(json("{\"c\":3}"));
        assertThat(r.grant("t", Op.READ, json("{\"roles\":[\"editor\"],\"b\":2}"))
                        .where())
                .isEqualTo(json("{\"or\":[{\"a\":1},{\"b\":2},{\"c\":3}]}"));
        // a member alone in its list grants its own branches
        Rules alone = Rules.parse(json("{\"t\":{\"read\":[{\"where\":{\"x\":1,\"or\":[{\"a\":1},{\"a\":2}]}}]}}"), "x");
        assertThat(alone.grant("t", Op.READ, json("{}")).where())
                .isEqualTo(json("{\"or\":[{\"x\":1,\"a\":1},{\"x\":1,\"a\":2}]}"));
    }

    @Test
    void aFieldInBothTheBranchAndTheWhereGetsBothConditions() {
        Rules r = Rules.parse(json("""
                {"t": {"read": [{"where": {"price": {"gte": 10}, "status": "open",
                                           "or": [{"price": {"lt": 100}}, {"price": 5, "status": "open"},
                                                  {"status": {"ne": "$claims.hidden"}}]}},
                                {"where": {"vip": true}}]}}"""), "x");
        assertThat(r.grant("t", Op.READ, json("{\"hidden\":\"closed\"}")).where())
                .isEqualTo(json("""
                        {"or": [{"price": {"gte": 10, "lt": 100}, "status": "open"},
                                {"price": {"gte": 10, "eq": 5}, "status": "open"},
                                {"price": {"gte": 10}, "status": {"eq": "open", "ne": "closed"}},
                                {"vip": true}]}"""));
    }

    @Test
    void aConjunctionTheQueryLanguageCannotWriteIsRefusedWithWhy() {
        assertThatThrownBy(() -> Rules.parse(json("""
                        {"i": {"read": [{"where": {"a": 1}},
                                        {"where": {"tenant": "$claims.tenant",
                                                   "or": [{"b": 1}, {"tenant": "x"}]}}]}}"""), "rules"))
                .hasMessageContaining("rules.i.read[1].where.or[1].tenant")
                .hasMessageContaining("'eq'")
                .hasMessageContaining("by hand");
        assertThatThrownBy(() -> Rules.parse(json("""
                        {"i": {"read": [{"where": {"n": {"gt": 1}, "or": [{"n": {"gt": 2}}]}}]}}"""), "rules")).hasMessageContaining("rules.i.read[0].where.or[0].n");
    }

    @Test
    void aListWhoseDistributedOrExceedsSixteenBranchesIsRefused() {
        StringBuilder nine = new StringBuilder("[");
        for (int i = 0; i < 9; i++) {
            nine.append(i == 0 ? "" : ",").append("{\"b\":").append(i).append('}');
        }
        nine.append(']');
        String member = "{\"where\":{\"a\":1,\"or\":" + nine + "}}";
        assertThatThrownBy(() -> Rules.parse(
                        json("{\"i\":{\"read\":[" + member + "," + member.replace("\"a\":1", "\"a\":2") + "]}}"),
                        "rules"))
                .hasMessageContaining("rules.i.read:")
                .hasMessageContaining("18 branches")
                .hasMessageContaining("at most 16");
        // 9 + 7 = 16 is allowed
        String seven = member.replace(",{\"b\":7},{\"b\":8}", "").replace("\"a\":1", "\"a\":2");
        Rules ok = Rules.parse(json("{\"i\":{\"read\":[" + member + "," + seven + "]}}"), "rules");
        assertThat(ok.grant("i", Op.READ, json("{}")).where().get("or")).hasSize(16);
    }
}
