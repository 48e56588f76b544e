package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A parsed {@code where}: a conjunction of terms, optionally AND-ed with one top-level {@code or}
 * of conjunctions (PROTOCOL §2). Immutable; {@link #matches} is the only thing on the hot path.
 *
 * <p>Public because the gateway builds access filters (PROTOCOL §9) from rules with it; a filter
 * is then a member of the {@link Shape} of its own, never merged into the client's where.
 */
public final class Where {
    static final int MAX_TERMS = 64;
    static final int MAX_OR = 16;
    static final int MAX_IN = 1000;

    enum Op {
        EQ,
        NE,
        LT,
        LTE,
        GT,
        GTE,
        IN,
        PREFIX,
        EXISTS
    }

    record Term(String field, Op op, Object operand, Set<Object> in) {
        boolean test(ObjectNode row) {
            if (op == Op.EXISTS) {
                return row.has(field) == (Boolean) operand;
            }
            Object v = Values.of(row.get(field));
            return switch (op) {
                case EQ -> Values.compare(v, operand) == 0;
                case NE -> Values.compare(v, operand) != 0;
                case LT -> Values.kind(v) == Values.kind(operand) && Values.compare(v, operand) < 0;
                case LTE -> Values.kind(v) == Values.kind(operand) && Values.compare(v, operand) <= 0;
                case GT -> Values.kind(v) == Values.kind(operand) && Values.compare(v, operand) > 0;
                case GTE -> Values.kind(v) == Values.kind(operand) && Values.compare(v, operand) >= 0;
                case IN -> in.contains(v);
                case PREFIX -> v instanceof String s && s.startsWith((String) operand);
                case EXISTS -> throw new AssertionError();
            };
        }
    }

    /** The empty filter: every row matches. */
    public static final Where ALL = new Where(List.of(), List.of(), JsonNodeFactory.instance.objectNode());

    private final List<Term> terms;
    private final List<List<Term>> or;
    private final ObjectNode canonical;
    private final String text;

    private Where(List<Term> terms, List<List<Term>> or, ObjectNode canonical) {
        this.terms = terms;
        this.or = or;
        this.canonical = canonical;
        this.text = Json.text(canonical);
    }

    /** Whether the row (an object with its {@code id}) satisfies every term. */
    public boolean matches(ObjectNode row) {
        if (!all(terms, row)) {
            return false;
        }
        if (or.isEmpty()) {
            return true;
        }
        for (List<Term> branch : or) {
            if (all(branch, row)) {
                return true;
            }
        }
        return false;
    }

    private static boolean all(List<Term> terms, ObjectNode row) {
        // indexed, not for-each: every change matches every touched view, and the iterator was
        // not always scalar-replaced
        for (int i = 0, n = terms.size(); i < n; i++) {
            if (!terms.get(i).test(row)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The term change routing indexes this where under: an {@code eq} (or else an {@code in}) of
     * the top-level conjunction. A row whose value for that field is not among the term's values
     * cannot match, so views need not look at it. Null when there is none.
     */
    Term indexTerm() {
        Term eq = eqTerm();
        return eq != null ? eq : inTerm();
    }

    /** The first {@code eq} of the top-level conjunction, or null. */
    Term eqTerm() {
        for (Term t : terms) {
            if (t.op == Op.EQ) {
                return t;
            }
        }
        return null;
    }

    /** The first {@code in} of the top-level conjunction, or null. */
    Term inTerm() {
        for (Term t : terms) {
            if (t.op == Op.IN) {
                return t;
            }
        }
        return null;
    }

    /** Canonical JSON: fields and operators sorted, numbers normalized, {@code in} sets sorted. */
    ObjectNode canonical() {
        return canonical;
    }

    /** A copy of the canonical JSON, which {@link #parse} turns back into an equal filter. */
    public ObjectNode toJson() {
        return canonical.deepCopy();
    }

    /** True for the filter that matches every row. */
    public boolean isAll() {
        return terms.isEmpty() && or.isEmpty();
    }

    /** Equal when the canonical forms are: {@code {"a":1}} equals {@code {"a":1.0}}. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Where w && text.equals(w.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** The canonical JSON text. */
    @Override
    public String toString() {
        return text;
    }

    /** Parses the §2 query language; null or JSON null is {@link #ALL}. */
    public static Where parse(JsonNode node) throws LiveQueryException {
        if (node == null || node.isNull()) {
            return ALL;
        }
        if (!node.isObject()) {
            throw bad("where must be a JSON object, got " + kindOf(node));
        }
        int[] count = {0};
        List<Term> terms = new ArrayList<>();
        ObjectNode canon = JsonNodeFactory.instance.objectNode();
        List<List<Term>> or = new ArrayList<>();
        Map<String, List<Term>> byCanon = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("or")) {
                JsonNode branches = e.getValue();
                if (!branches.isArray() || branches.isEmpty()) {
                    throw bad("where.or must be a non-empty array of where objects");
                }
                if (branches.size() > MAX_OR) {
                    throw bad("where.or has " + branches.size() + " branches; at most " + MAX_OR + " are allowed");
                }
                for (JsonNode b : branches) {
                    if (!b.isObject()) {
                        throw bad("each where.or branch must be a JSON object, got " + kindOf(b));
                    }
                    List<Term> branch = new ArrayList<>();
                    ObjectNode bc = JsonNodeFactory.instance.objectNode();
                    for (Iterator<Map.Entry<String, JsonNode>> bi = b.fields(); bi.hasNext(); ) {
                        Map.Entry<String, JsonNode> be = bi.next();
                        if (be.getKey().equals("or")) {
                            throw bad("where.or may appear only at the top level, not inside an or branch");
                        }
                        parseField(be.getKey(), be.getValue(), branch, bc, count);
                    }
                    byCanon.put(Json.text(sorted(bc)), branch);
                }
            } else {
                parseField(e.getKey(), e.getValue(), terms, canon, count);
            }
        }
        ObjectNode result = sorted(canon);
        if (!byCanon.isEmpty()) {
            ArrayNode arr = result.putArray("or");
            for (Map.Entry<String, List<Term>> b : byCanon.entrySet()) {
                or.add(List.copyOf(b.getValue()));
                try {
                    arr.add(Json.MAPPER.readTree(b.getKey()));
                } catch (java.io.IOException impossible) {
                    throw new IllegalStateException(impossible);
                }
            }
        }
        return new Where(List.copyOf(terms), List.copyOf(or), result);
    }

    private static void parseField(String field, JsonNode cond, List<Term> out, ObjectNode canon, int[] count)
            throws LiveQueryException {
        if (field.isEmpty() || field.length() > 128) {
            throw bad("field names must be 1..128 characters");
        }
        ObjectNode ops = canon.putObject(field);
        if (cond.isObject()) {
            if (cond.isEmpty()) {
                throw bad("field '" + field + "': empty condition object; use an operator "
                        + "(eq ne lt lte gt gte in prefix exists)");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = cond.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Op op;
                try {
                    op = Op.valueOf(e.getKey().toUpperCase(java.util.Locale.ROOT));
                } catch (IllegalArgumentException ex) {
                    throw bad("field '" + field + "': unknown operator '" + Echo.of(e.getKey())
                            + "' (expected eq ne lt lte gt gte in prefix exists; nested fields cannot be filtered)");
                }
                if (!e.getKey().equals(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                    throw bad("field '" + field + "': operators are lower case, got '" + Echo.of(e.getKey()) + "'");
                }
                out.add(term(field, op, e.getValue(), ops, count));
            }
        } else {
            out.add(term(field, Op.EQ, cond, ops, count));
        }
    }

    private static Term term(String field, Op op, JsonNode operand, ObjectNode ops, int[] count)
            throws LiveQueryException {
        if (++count[0] > MAX_TERMS) {
            throw bad("where has more than " + MAX_TERMS + " conditions");
        }
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        switch (op) {
            case IN -> {
                if (!operand.isArray()) {
                    throw bad("field '" + field + "': in takes an array of values, got " + kindOf(operand));
                }
                if (operand.size() > MAX_IN) {
                    throw bad("field '" + field + "': in has " + operand.size() + " values; at most " + MAX_IN);
                }
                Set<Object> set = new HashSet<>();
                TreeSet<Object> sorted = new TreeSet<>(Values.ORDER);
                for (JsonNode v : operand) {
                    Object s = scalar(field, name, v);
                    set.add(s);
                    sorted.add(s);
                }
                ArrayNode arr = ops.putArray(name);
                sorted.forEach(v -> arr.add(canonicalValue(v)));
                return new Term(field, op, null, Set.copyOf(set));
            }
            case PREFIX -> {
                if (!operand.isTextual()) {
                    throw bad("field '" + field + "': prefix takes a string, got " + kindOf(operand));
                }
                ops.put(name, operand.textValue());
                return new Term(field, op, operand.textValue(), null);
            }
            case EXISTS -> {
                if (!operand.isBoolean()) {
                    throw bad("field '" + field + "': exists takes true or false, got " + kindOf(operand));
                }
                ops.put(name, operand.booleanValue());
                return new Term(field, op, operand.booleanValue(), null);
            }
            default -> {
                Object v = scalar(field, name, operand);
                ops.set(name, canonicalValue(v));
                return new Term(field, op, v, null);
            }
        }
    }

    private static Object scalar(String field, String op, JsonNode v) throws LiveQueryException {
        if (v.isContainerNode()) {
            throw bad("field '" + field + "': " + op + " takes a string, number, boolean or null, got " + kindOf(v)
                    + " (objects and arrays cannot be compared)");
        }
        if (v.isBigDecimal() && !Values.inRange(v.decimalValue())) {
            throw bad("field '" + field + "': the " + op + " operand is a " + Values.OUT_OF_RANGE);
        }
        return Values.of(v);
    }

    static JsonNode canonicalValue(Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (v == Values.NULL) {
            return f.nullNode();
        }
        if (v instanceof Boolean b) {
            return f.booleanNode(b);
        }
        if (v instanceof Long l) {
            return f.numberNode(l);
        }
        if (v instanceof BigDecimal d) {
            return f.numberNode(d);
        }
        return f.textNode((String) v);
    }

    private static ObjectNode sorted(ObjectNode in) {
        TreeMap<String, JsonNode> byName = new TreeMap<>();
        in.fields()
                .forEachRemaining(e -> byName.put(
                        e.getKey(), e.getValue().isObject() ? sorted((ObjectNode) e.getValue()) : e.getValue()));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        byName.forEach(out::set);
        return out;
    }

    static String kindOf(JsonNode n) {
        if (n.isObject()) {
            return "an object";
        }
        if (n.isArray()) {
            return "an array";
        }
        if (n.isTextual()) {
            return "a string";
        }
        if (n.isNumber()) {
            return "a number";
        }
        if (n.isBoolean()) {
            return "a boolean";
        }
        return "null";
    }

    private static LiveQueryException bad(String message) {
        return new LiveQueryException(BAD_QUERY, message);
    }
}
