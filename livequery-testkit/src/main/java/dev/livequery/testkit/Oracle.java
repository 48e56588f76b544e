package dev.livequery.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The truth model: a brute-force model of PROTOCOL §1–§2, written from the protocol text and deliberately sharing no
 * code with the engine: it works on raw Jackson trees, re-derives the value order, the where, the
 * order and the window from their definitions, and recomputes every window from scratch.
 *
 * <p>A window is {@code filter(all rows) → sort(order keys, then id) → slice}. Cursor positions
 * are given as the row image the cursor was taken from (the test remembers which image each
 * cursor string came from), so the oracle never decodes a cursor.
 */
public final class Oracle {
    private Oracle() {}

    /** One stored row: the server's version and the object as written (it includes "id"). */
    public record Stored(String id, long version, ObjectNode data) {}

    /** A shape as the query JSON spells it: where (null = all) and order keys. */
    public record ShapeSpec(String table, ObjectNode where, List<SortKey> order) {}

    public record SortKey(String field, boolean desc) {}

    /** A window of one shape: contents in order plus the has_more flags. */
    public record Slice(List<Stored> rows, boolean hasMoreBefore, boolean hasMoreAfter) {
        public List<String> ids() {
            return rows.stream().map(Stored::id).toList();
        }
    }

    /**
     * The window parameters with the cursor replaced by the row image it was taken from: {@code
     * after} / {@code before} are null or a row object, never both.
     */
    public record Anchor(ObjectNode after, ObjectNode before, int limit) {}

    // ---- §1 value order: missing < null < false < true < numbers < strings ------------------------

    /** Rank in the total order; objects and arrays are "missing" (not orderable). */
    public static int rank(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isContainerNode()) {
            return 0;
        }
        if (v.isNull()) {
            return 1;
        }
        if (v.isBoolean()) {
            return v.booleanValue() ? 3 : 2;
        }
        if (v.isNumber()) {
            return 4;
        }
        if (v.isTextual()) {
            return 5;
        }
        throw new IllegalArgumentException("not a JSON value: " + v);
    }

    /** Kind for range filters: lt/lte/gt/gte across kinds is false; false and true are one kind. */
    public static int kind(JsonNode v) {
        int r = rank(v);
        return r == 3 ? 2 : r;
    }

    public static int compareValues(JsonNode a, JsonNode b) {
        int ra = rank(a);
        int rb = rank(b);
        if (ra != rb) {
            return Integer.compare(ra, rb);
        }
        return switch (ra) {
            case 4 -> exact(a).compareTo(exact(b)); // compareTo, not equals: 1 == 1.0 == 1e0
            case 5 -> compareCodePoints(a.textValue(), b.textValue());
            default -> 0;
        };
    }

    /** Exact numeric value; integers beyond 2^53 (and beyond 2^63) stay exact. */
    public static BigDecimal exact(JsonNode n) {
        if (n.isIntegralNumber()) {
            return new BigDecimal(n.bigIntegerValue());
        }
        if (n.isFloat() || n.isDouble()) {
            return new BigDecimal(n.doubleValue()); // exact binary value; the tests never write doubles
        }
        return n.decimalValue();
    }

    /** Unicode code point order (String.compareTo is UTF-16 order, which differs above U+FFFF). */
    public static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    // ---- §2 where -----------------------------------------------------------------------------------

    public static boolean matches(ObjectNode where, ObjectNode row) {
        if (where == null) {
            return true;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = where.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("or")) {
                boolean any = false;
                for (JsonNode branch : e.getValue()) {
                    any |= matches((ObjectNode) branch, row);
                }
                if (!any) {
                    return false;
                }
            } else if (!fieldMatches(e.getKey(), e.getValue(), row)) {
                return false;
            }
        }
        return true;
    }

    private static boolean fieldMatches(String field, JsonNode cond, ObjectNode row) {
        JsonNode v = row.get(field); // null when absent
        if (!cond.isObject()) {
            return compareValues(v, cond) == 0; // a bare value means eq
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = cond.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> op = it.next();
            JsonNode x = op.getValue();
            boolean ok = switch (op.getKey()) {
                case "eq" -> compareValues(v, x) == 0;
                case "ne" -> compareValues(v, x) != 0;
                case "lt" -> kind(v) == kind(x) && compareValues(v, x) < 0;
                case "lte" -> kind(v) == kind(x) && compareValues(v, x) <= 0;
                case "gt" -> kind(v) == kind(x) && compareValues(v, x) > 0;
                case "gte" -> kind(v) == kind(x) && compareValues(v, x) >= 0;
                case "in" -> {
                    boolean any = false;
                    for (JsonNode c : x) {
                        any |= compareValues(v, c) == 0;
                    }
                    yield any;
                }
                case "prefix" -> v != null && v.isTextual() && v.textValue().startsWith(x.textValue());
                // the field is present in the row, whatever it holds (null, object, ...)
                case "exists" -> row.has(field) == x.booleanValue();
                default -> throw new IllegalArgumentException("oracle does not know operator " + op.getKey());
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    // ---- §2 order: the keys, then id ascending ---------------------------------------------------

    public static Comparator<ObjectNode> comparator(List<SortKey> order) {
        return (a, b) -> {
            for (SortKey k : order) {
                int c = compareValues(a.get(k.field()), b.get(k.field()));
                if (c != 0) {
                    return k.desc() ? -c : c;
                }
            }
            return compareCodePoints(a.get("id").textValue(), b.get("id").textValue());
        };
    }

    // ---- §2 window ------------------------------------------------------------------------------

    /** All rows of the shape's table that match, in the shape's order. */
    public static List<Stored> sorted(ShapeSpec shape, Collection<Stored> table) {
        Comparator<ObjectNode> cmp = comparator(shape.order());
        List<Stored> out = new ArrayList<>();
        for (Stored s : table) {
            if (matches(shape.where(), s.data())) {
                out.add(s);
            }
        }
        out.sort((x, y) -> cmp.compare(x.data(), y.data()));
        return out;
    }

    /**
     * The window: from the top, strictly after the anchor position, or the {@code limit} rows
     * ending strictly before it. has_more_* say whether matching rows lie beyond either edge
     * (a row exactly at the cursor position is outside the window, so it counts as "more").
     */
    public static Slice window(ShapeSpec shape, Collection<Stored> table, Anchor anchor) {
        List<Stored> all = sorted(shape, table);
        Comparator<ObjectNode> cmp = comparator(shape.order());
        int n = all.size();
        int from;
        int to;
        if (anchor.after() != null) {
            from = 0;
            while (from < n && cmp.compare(all.get(from).data(), anchor.after()) <= 0) {
                from++;
            }
            to = Math.min(n, from + anchor.limit());
        } else if (anchor.before() != null) {
            to = 0;
            while (to < n && cmp.compare(all.get(to).data(), anchor.before()) < 0) {
                to++;
            }
            from = Math.max(0, to - anchor.limit());
        } else {
            from = 0;
            to = Math.min(n, anchor.limit());
        }
        return new Slice(List.copyOf(all.subList(from, to)), from > 0, to < n);
    }

    /** Same position in the shape's order (same sort values under the value order, same id). */
    public static boolean samePosition(ShapeSpec shape, ObjectNode a, ObjectNode b) {
        return comparator(shape.order()).compare(a, b) == 0;
    }

    // ---- JSON equality "as written" -------------------------------------------------------------

    /**
     * Structural equality that ignores object member order but keeps numbers as written: 1.0 and
     * 1 are different rows (rows are "returned as they were written", §1), though equal sort keys.
     */
    public static boolean sameJson(JsonNode a, JsonNode b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!sameJson(e.getValue(), b.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!sameJson(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isNumber() && b.isNumber()) {
            if (a.isIntegralNumber() != b.isIntegralNumber()) {
                return false;
            }
            return a.isIntegralNumber()
                    ? a.bigIntegerValue().equals(b.bigIntegerValue())
                    : exact(a).equals(exact(b)); // BigDecimal.equals: scale counts, 1.0 != 1.00
        }
        return a.equals(b);
    }
}
