package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One §9 rule: {@code true}, {@code false}, {@code {roles, where}}, or a list (any of them); a list
 * member whose where has an {@code or} is held as its distributed {@link Branches}.
 */
sealed interface Rule {
    String CLAIMS = "$claims.";

    /** The grant for a token with these claims (a JSON object). */
    Grant grant(JsonNode claims);

    record Fixed(boolean allow) implements Rule {
        @Override
        public Grant grant(JsonNode claims) {
            return allow ? Grant.ALL : Grant.DENY;
        }
    }

    /** Both parts optional, both must hold; {@code roles} empty = any role. */
    record Cond(Set<String> roles, ObjectNode where) implements Rule {
        @Override
        public Grant grant(JsonNode claims) {
            if (!hasRole(roles, claims.get("roles"))) {
                return Grant.DENY;
            }
            if (where == null) {
                return Grant.ALL;
            }
            JsonNode w = substitute(where, claims);
            return w == null ? Grant.DENY : Grant.where((ObjectNode) w);
        }
    }

    /**
     * A list member {@code {roles, where: {x…, or: [b, c]}}} distributed: its grant is the or of
     * {@code x ∧ b} and {@code x ∧ c}, which the list flattens into its own or. A claim absent
     * from any branch denies the whole member, as it would the undistributed rule.
     */
    record Branches(Set<String> roles, List<ObjectNode> branches) implements Rule {
        @Override
        public Grant grant(JsonNode claims) {
            if (!hasRole(roles, claims.get("roles"))) {
                return Grant.DENY;
            }
            List<ObjectNode> filters = new ArrayList<>();
            for (ObjectNode b : branches) {
                JsonNode w = substitute(b, claims);
                if (w == null) {
                    return Grant.DENY;
                }
                if (!filters.contains(w)) {
                    filters.add((ObjectNode) w);
                }
            }
            return anyOf(filters);
        }
    }

    /** Whether a token holding {@code held} (its {@code roles} claim) passes {@code roles}; empty = any. */
    private static boolean hasRole(Set<String> roles, JsonNode held) {
        if (roles.isEmpty()) {
            return true;
        }
        if (held == null) {
            return false;
        }
        if (held.isTextual()) {
            return roles.contains(held.textValue());
        }
        if (held.isArray()) {
            for (JsonNode r : held) {
                if (r.isTextual() && roles.contains(r.textValue())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The grant of the or of {@code filters} (deduplicated): none denies, one is itself. */
    private static Grant anyOf(List<ObjectNode> filters) {
        if (filters.isEmpty()) {
            return Grant.DENY;
        }
        if (filters.size() == 1) {
            return Grant.where(filters.get(0));
        }
        ObjectNode or = JsonNodeFactory.instance.objectNode();
        ArrayNode branches = or.putArray("or");
        filters.forEach(branches::add);
        return Grant.where(or);
    }

    /** Any of: every row if one branch gives every row, else the {@code or} of the branches' filters. */
    record AnyOf(List<Rule> rules) implements Rule {
        @Override
        public Grant grant(JsonNode claims) {
            List<ObjectNode> filters = new ArrayList<>();
            for (Rule r : rules) {
                Grant g = r.grant(claims);
                if (g.allowed() && g.where() == null) {
                    return Grant.ALL;
                }
                if (!g.allowed()) {
                    continue;
                }
                // only a distributed member grants an or (a plain member in a list has none), and
                // then the or is all it grants: its branches join the list's
                if (g.where().has("or")) {
                    for (JsonNode b : g.where().get("or")) {
                        if (!filters.contains(b)) {
                            filters.add((ObjectNode) b);
                        }
                    }
                } else if (!filters.contains(g.where())) {
                    filters.add(g.where());
                }
            }
            return anyOf(filters);
        }
    }

    /**
     * A copy of {@code node} with every {@code "$claims.<name>"} string replaced by that claim, or
     * null when a named claim is absent or null: a missing claim denies, it never matches all.
     */
    static JsonNode substitute(JsonNode node, JsonNode claims) {
        if (node.isTextual() && node.textValue().startsWith(CLAIMS)) {
            JsonNode v = claims.get(node.textValue().substring(CLAIMS.length()));
            return v == null || v.isNull() || v.isObject() ? null : v.deepCopy();
        }
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = substitute(e.getValue(), claims);
                if (v == null) {
                    return null;
                }
                out.set(e.getKey(), v);
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode n : node) {
                JsonNode v = substitute(n, claims);
                if (v == null) {
                    return null;
                }
                out.add(v);
            }
            return out;
        }
        return node;
    }
}
