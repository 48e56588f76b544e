package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The §9 rule map: per table (and {@code *} for every table not listed), a {@code read} and a
 * {@code write} rule. A table no entry names, or an entry without the operation, is denied.
 *
 * <p>Parsed once at start; every mistake (unknown key, a {@code where} the query language refuses,
 * a list whose {@code or} would exceed 16 branches) fails the start with the path of the mistake.
 *
 * <p>A list of rules is the {@code or} of its members, and §2 has one top-level {@code or}: a
 * member whose {@code where} has an {@code or} of its own is distributed at start, {@code x ∧ (b ∨
 * c)} becoming the branches {@code x ∧ b} and {@code x ∧ c} (see {@link Distribute}).
 */
public final class Rules {
    public enum Op {
        READ,
        WRITE
    }

    private static final Pattern TABLE = Pattern.compile("[a-z][a-z0-9_]{0,62}");
    /** PROTOCOL §2 allows one {@code or} of at most 16 branches. */
    private static final int MAX_ANY_OF = 16;

    private final Map<String, Map<Op, Rule>> tables;

    private Rules(Map<String, Map<Op, Rule>> tables) {
        this.tables = tables;
    }

    /** No rules at all: every table denied. */
    public static Rules denyAll() {
        return new Rules(Map.of());
    }

    /** The grant of a token with {@code claims} (a JSON object) on {@code table}. */
    public Grant grant(String table, Op op, JsonNode claims) {
        Map<Op, Rule> entry = tables.get(table);
        if (entry == null) {
            entry = tables.get("*");
        }
        Rule r = entry == null ? null : entry.get(op);
        return r == null ? Grant.DENY : r.grant(claims == null ? JsonNodeFactory.instance.objectNode() : claims);
    }

    /** Parses the table map; {@code origin} names where it came from, for messages. */
    public static Rules parse(JsonNode map, String origin) {
        if (map == null || map.isNull()) {
            return denyAll();
        }
        if (!map.isObject()) {
            throw bad(origin, "the top level must be a map of table names to {read, write}");
        }
        Map<String, Map<Op, Rule>> tables = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String table = e.getKey();
            String path = origin + "." + table;
            if (!table.equals("*") && !TABLE.matcher(table).matches()) {
                throw bad(path, "not a table name ([a-z][a-z0-9_]{0,62}) or \"*\"");
            }
            if (!e.getValue().isObject()) {
                throw bad(path, "must be a map with read and/or write");
            }
            Map<Op, Rule> ops = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> ot = e.getValue().fields(); ot.hasNext(); ) {
                Map.Entry<String, JsonNode> o = ot.next();
                Op op = switch (o.getKey()) {
                    case "read" -> Op.READ;
                    case "write" -> Op.WRITE;
                    default -> throw bad(path + "." + o.getKey(), "unknown operation (expected read or write)");
                };
                ops.put(op, rule(o.getValue(), path + "." + o.getKey(), false));
            }
            tables.put(table, Map.copyOf(ops));
        }
        return new Rules(Map.copyOf(tables));
    }

    private static Rule rule(JsonNode n, String path, boolean inList) {
        if (n.isBoolean()) {
            return new Rule.Fixed(n.booleanValue());
        }
        if (n.isArray()) {
            if (inList) {
                throw bad(path, "a list of rules cannot hold another list");
            }
            if (n.size() > MAX_ANY_OF) {
                throw bad(path, "at most " + MAX_ANY_OF + " rules in a list");
            }
            List<Rule> rules = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                rules.add(rule(n.get(i), path + "[" + i + "]", true));
            }
            checkBranches(rules, path);
            return new Rule.AnyOf(List.copyOf(rules));
        }
        if (!n.isObject()) {
            throw bad(path, "a rule is true, false, {roles, where} or a list of rules; got " + n);
        }
        Set<String> roles = new LinkedHashSet<>();
        ObjectNode where = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            switch (e.getKey()) {
                case "roles" -> roles.addAll(roles(e.getValue(), path + ".roles"));
                case "where" -> where = where(e.getValue(), path + ".where");
                default -> throw bad(path + "." + e.getKey(), "unknown rule member (expected roles, where)");
            }
        }
        if (inList && where != null && where.has("or")) {
            List<ObjectNode> branches = Distribute.branches(where, path + ".where");
            for (int i = 0; i < branches.size(); i++) {
                where(branches.get(i), path + ".where.or[" + i + "]");
            }
            return new Rule.Branches(Set.copyOf(roles), List.copyOf(branches));
        }
        return new Rule.Cond(Set.copyOf(roles), where);
    }

    /**
     * The or a list grants is at most every member's filter side by side (a distributed member
     * counts its branches): more than §2's 16 branches, or more terms than a where may hold, fails
     * the start here rather than every token's subscription later.
     */
    private static void checkBranches(List<Rule> rules, String path) {
        ObjectNode all = JsonNodeFactory.instance.objectNode();
        var or = all.putArray("or");
        for (Rule r : rules) {
            switch (r) {
                case Rule.Cond c when c.where() != null -> or.add(c.where());
                case Rule.Branches b -> b.branches().forEach(or::add);
                default -> {}
            }
        }
        if (or.size() > MAX_ANY_OF) {
            throw bad(
                    path,
                    "the list is the or of its members, and with each member's own or distributed over the rest"
                            + " of its where it has " + or.size() + " branches; PROTOCOL §2 allows at most "
                            + MAX_ANY_OF);
        }
        if (or.size() > 1) {
            where(all, path + " (all members as one or)");
        }
    }

    private static List<String> roles(JsonNode n, String path) {
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.textValue());
        } else if (n.isArray()) {
            for (JsonNode r : n) {
                if (!r.isTextual()) {
                    throw bad(path, "roles are strings, got " + r);
                }
                out.add(r.textValue());
            }
        } else {
            throw bad(path, "a list of role names");
        }
        if (out.isEmpty()) {
            throw bad(path, "an empty role list would deny every token; write false instead");
        }
        return out;
    }

    /** Checks {@code w} with the query parser, claims stood in for by placeholders. */
    private static ObjectNode where(JsonNode w, String path) {
        if (!w.isObject()) {
            throw bad(path, "a where is a JSON object (PROTOCOL §2)");
        }
        ObjectNode q = JsonNodeFactory.instance.objectNode();
        q.put("table", "t");
        q.set("where", placeholders(w, false));
        q.put("limit", 1);
        try {
            Query.parse(q);
        } catch (LiveQueryException e) {
            throw bad(path, e.getMessage());
        }
        return w.deepCopy();
    }

    private static JsonNode placeholders(JsonNode n, boolean inOperand) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (n.isTextual() && n.textValue().startsWith(Rule.CLAIMS)) {
            return inOperand ? f.arrayNode().add("claim") : f.textNode("claim");
        }
        if (n.isObject()) {
            ObjectNode out = f.objectNode();
            n.fields()
                    .forEachRemaining(e -> out.set(
                            e.getKey(), placeholders(e.getValue(), e.getKey().equals("in"))));
            return out;
        }
        if (n.isArray()) {
            var out = f.arrayNode();
            n.forEach(x -> out.add(placeholders(x, false)));
            return out;
        }
        return n;
    }

    static IllegalArgumentException bad(String path, String why) {
        return new IllegalArgumentException("auth rule " + path + ": " + why);
    }
}
