package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A parsed {@code order}: up to four keys, each ascending or descending, with the row id
 * ascending always appended so that the order is total (PROTOCOL §2).
 */
final class Order implements Comparator<Key> {
    static final int MAX_KEYS = 4;

    private final String[] fields;
    private final boolean[] desc;
    private final ArrayNode canonical;

    private Order(String[] fields, boolean[] desc) {
        this.fields = fields;
        this.desc = desc;
        this.canonical = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < fields.length; i++) {
            ObjectNode k = canonical.addObject();
            k.put("field", fields[i]);
            k.put("dir", desc[i] ? "desc" : "asc");
        }
    }

    int size() {
        return fields.length;
    }

    Key key(Row row) {
        Object[] v = new Object[fields.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = Values.of(row.data().get(fields[i]));
        }
        return key(v, row.id());
    }

    /** A key of this order from normalized values (one per order field) and an id. */
    Key key(Object[] values, String id) {
        return new Key(values, id, Key.prefix(values, desc, id));
    }

    @Override
    public int compare(Key a, Key b) {
        if (a.prefix != b.prefix) {
            return a.prefix < b.prefix ? -1 : 1;
        }
        if (a == b) {
            return 0; // a row's cached key finding its own entry: its values need not be read
        }
        for (int i = 0; i < fields.length; i++) {
            int c = Values.compare(a.values[i], b.values[i]);
            if (c != 0) {
                return desc[i] ? -c : c;
            }
        }
        return Values.compareCodePoints(a.id, b.id);
    }

    ArrayNode canonical() {
        return canonical;
    }

    static Order parse(JsonNode node) throws LiveQueryException {
        if (node == null || node.isNull()) {
            return new Order(new String[0], new boolean[0]);
        }
        if (!node.isArray()) {
            throw new LiveQueryException(
                    BAD_QUERY, "order must be an array of {\"field\":…, \"dir\":\"asc\"|\"desc\"}");
        }
        List<String> fields = new ArrayList<>();
        List<Boolean> desc = new ArrayList<>();
        for (JsonNode k : node) {
            if (!k.isObject() || !k.path("field").isTextual()) {
                throw new LiveQueryException(BAD_QUERY, "each order key must be an object with a string \"field\"");
            }
            Set<String> names = new HashSet<>();
            k.fieldNames().forEachRemaining(names::add);
            names.removeAll(Set.of("field", "dir"));
            if (!names.isEmpty()) {
                throw new LiveQueryException(
                        BAD_QUERY,
                        "order key has unknown member(s) " + Echo.of(names.toString()) + "; only field and dir");
            }
            JsonNode dir = k.get("dir");
            boolean d;
            if (dir == null || dir.isTextual() && dir.textValue().equals("asc")) {
                d = false;
            } else if (dir.isTextual() && dir.textValue().equals("desc")) {
                d = true;
            } else {
                throw new LiveQueryException(
                        BAD_QUERY, "order dir must be \"asc\" or \"desc\", got " + Echo.of(dir.toString()));
            }
            add(fields, desc, k.get("field").textValue(), d);
        }
        return of(fields, desc);
    }

    /** The SSE/query-string form: {@code -price,name}, a leading '-' meaning descending. */
    static Order parseCompact(String s) throws LiveQueryException {
        List<String> fields = new ArrayList<>();
        List<Boolean> desc = new ArrayList<>();
        if (s != null && !s.isEmpty()) {
            for (String part : s.split(",", -1)) {
                boolean d = part.startsWith("-");
                add(fields, desc, d ? part.substring(1) : part, d);
            }
        }
        return of(fields, desc);
    }

    private static void add(List<String> fields, List<Boolean> desc, String field, boolean d)
            throws LiveQueryException {
        if (field.isEmpty() || field.length() > 128) {
            throw new LiveQueryException(BAD_QUERY, "order field names must be 1..128 characters");
        }
        if (fields.contains(field)) {
            throw new LiveQueryException(BAD_QUERY, "order names field '" + field + "' twice");
        }
        fields.add(field);
        desc.add(d);
    }

    private static Order of(List<String> fields, List<Boolean> desc) throws LiveQueryException {
        if (fields.size() > MAX_KEYS) {
            throw new LiveQueryException(BAD_QUERY, "order has " + fields.size() + " keys; at most " + MAX_KEYS);
        }
        boolean[] d = new boolean[desc.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = desc.get(i);
        }
        return new Order(fields.toArray(String[]::new), d);
    }
}
