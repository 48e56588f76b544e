package dev.livequery.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Turns a rule's {@code where} of the form {@code x ∧ (b₁ ∨ … ∨ bₙ)} into the conjunctions {@code
 * x ∧ bᵢ}, so that a list member with its own {@code or} can sit in the list's single top-level
 * {@code or} (PROTOCOL §2 allows one level). Works on the rule text, claims still unsubstituted, so
 * every refusal happens at start.
 */
final class Distribute {
    private Distribute() {}

    /** The branches of {@code where} (already checked by the query parser, so its or is well-formed). */
    static List<ObjectNode> branches(ObjectNode where, String path) {
        ObjectNode outer = where.deepCopy();
        JsonNode or = outer.remove("or");
        List<ObjectNode> out = new ArrayList<>();
        for (int i = 0; i < or.size(); i++) {
            ObjectNode b = conjoin(outer, (ObjectNode) or.get(i), path + ".or[" + i + "]");
            if (!out.contains(b)) {
                out.add(b);
            }
        }
        return out;
    }

    /**
     * {@code outer ∧ branch} as one conjunction. A field both constrain gets the union of their
     * operators ({@code {gte: 1}} and {@code {lt: 9}} become {@code {gte: 1, lt: 9}}; a bare value is
     * {@code eq}). The same operator twice with different operands has no spelling: a field holds
     * each operator once, and with claims the operands are unknown until a token arrives, so they
     * cannot be combined into one (intersecting two {@code in} sets, the larger of two {@code gt}).
     */
    static ObjectNode conjoin(ObjectNode outer, ObjectNode branch, String path) {
        ObjectNode out = outer.deepCopy();
        for (Iterator<Map.Entry<String, JsonNode>> it = branch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = e.getKey();
            JsonNode mine = out.get(field);
            if (mine == null || mine.equals(e.getValue())) {
                out.set(field, e.getValue().deepCopy());
                continue;
            }
            ObjectNode ops = operators(mine);
            for (Iterator<Map.Entry<String, JsonNode>> ot =
                            operators(e.getValue()).fields();
                    ot.hasNext(); ) {
                Map.Entry<String, JsonNode> o = ot.next();
                JsonNode had = ops.get(o.getKey());
                if (had != null && !had.equals(o.getValue())) {
                    throw Rules.bad(
                            path + "." + field,
                            "this or branch and the rest of the rule's where both constrain '" + field + "' with '"
                                    + o.getKey() + "' (" + had + " and " + o.getValue()
                                    + "); distributing the or over the where (the list is already an or, and §2"
                                    + " allows one level) needs their conjunction in one condition, and a field"
                                    + " holds each operator once; combine the two by hand");
                }
                ops.set(o.getKey(), o.getValue().deepCopy());
            }
            out.set(field, ops);
        }
        return out;
    }

    /** A condition as an operator map: a bare value is {@code {eq: value}}. */
    private static ObjectNode operators(JsonNode cond) {
        if (cond.isObject()) {
            return (ObjectNode) cond.deepCopy();
        }
        ObjectNode eq = JsonNodeFactory.instance.objectNode();
        eq.set("eq", cond.deepCopy());
        return eq;
    }
}
