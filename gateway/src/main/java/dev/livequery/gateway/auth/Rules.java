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
 * a list member with its own {@code or}) fails the start with the path of the mistake.
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
                case "where" -> where = where(e.getValue(), path + ".where", inList);
                default -> throw bad(path + "." + e.getKey(), "unknown rule member (expected roles, where)");
            }
        }
        return new Rule.Cond(Set.copyOf(roles), where);
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
    private static ObjectNode where(JsonNode w, String path, boolean inList) {
        if (!w.isObject()) {
            throw bad(path, "a where is a JSON object (PROTOCOL §2)");
        }
        if (inList && w.has("or")) {
            throw bad(path, "a rule inside a list cannot use \"or\" (the list itself is the or)");
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

    private static IllegalArgumentException bad(String path, String why) {
        return new IllegalArgumentException("auth rule " + path + ": " + why);
    }
}
