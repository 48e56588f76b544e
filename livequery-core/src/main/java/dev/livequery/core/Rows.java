package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.BAD_REQUEST;
import static dev.livequery.core.LiveQueryException.Code.TOO_LARGE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What every backend checks in a row a client writes (PROTOCOL §1), so that the embedded and
 * the cluster backends refuse exactly the same things with the same messages.
 */
public final class Rows {
    private Rows() {}

    /** A batch's upserted rows, copied and checked, with their JSON text (index for index). */
    public record Batch(List<ObjectNode> rows, List<String> json) {}

    /**
     * Checks a batch (PROTOCOL §7) before anything of it is written, the same for both backends:
     * every upsert has a string id and a valid, not too large row, every delete a valid id, and no
     * id appears twice.
     */
    public static Batch checkBatch(List<ObjectNode> upserts, List<String> deletes, int maxRowBytes)
            throws LiveQueryException {
        List<ObjectNode> rows = new ArrayList<>(upserts.size());
        List<String> json = new ArrayList<>(upserts.size());
        Set<String> ids = new HashSet<>();
        for (ObjectNode u : upserts) {
            JsonNode id = u.get("id");
            if (id == null || !id.isTextual()) {
                throw new LiveQueryException(BAD_REQUEST, "every upserted row needs a string id");
            }
            if (!ids.add(id.textValue())) {
                throw new LiveQueryException(BAD_REQUEST, "row '" + id.textValue() + "' appears twice in the batch");
            }
            ObjectNode data = copy(id.textValue(), u);
            json.add(checkSize(id.textValue(), data, maxRowBytes));
            rows.add(data);
        }
        for (String id : deletes) {
            checkId(id);
            if (!ids.add(id)) {
                throw new LiveQueryException(BAD_REQUEST, "row '" + id + "' appears twice in the batch");
            }
        }
        return new Batch(List.copyOf(rows), List.copyOf(json));
    }

    /**
     * A PATCH's after-image (PROTOCOL §7): {@code current} with {@code fields} merged at the top
     * level, a null value removing its field; the id stays {@code id}. Both backends merge here.
     */
    public static ObjectNode merge(String id, ObjectNode current, ObjectNode fields) {
        ObjectNode merged = current.deepCopy();
        fields.fields().forEachRemaining(e -> {
            if (e.getValue().isNull()) {
                merged.remove(e.getKey());
            } else {
                merged.set(e.getKey(), e.getValue().deepCopy());
            }
        });
        merged.put("id", id);
        return merged;
    }

    /** Refuses a patch whose fields are not valid Unicode or that would change the id. */
    public static void checkPatch(String id, ObjectNode fields) throws LiveQueryException {
        checkId(id);
        JsonNode pid = fields.get("id");
        if (pid != null && !(pid.isTextual() && pid.textValue().equals(id))) {
            throw new LiveQueryException(BAD_REQUEST, "a patch cannot change the row id");
        }
        checkStrings(fields);
    }

    public static void checkId(String id) throws LiveQueryException {
        // characters, not UTF-16 units (PROTOCOL §1): an id of 128 emoji is 256 units
        if (id == null || id.isEmpty() || id.length() > 128 && id.codePointCount(0, id.length()) > 128) {
            throw new LiveQueryException(BAD_REQUEST, "row ids are 1..128 characters");
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                throw new LiveQueryException(BAD_REQUEST, "row ids cannot contain control characters");
            }
        }
        checkUnicode("the row id", id);
    }

    /**
     * Refuses strings with unpaired surrogates ({@code "\ud800"} escapes): they are not Unicode,
     * have no code-point order and cannot survive UTF-8, so a cursor could not name their position.
     */
    static void checkStrings(ObjectNode row) throws LiveQueryException {
        for (var it = row.fields(); it.hasNext(); ) {
            var e = it.next();
            checkField(e.getKey(), e.getValue(), true);
        }
    }

    private static void checkField(String name, JsonNode value, boolean numbers) throws LiveQueryException {
        checkUnicode("a field name", name);
        if (value.isTextual()) {
            // the message is made only for a bad string: this runs for every field of every write
            int bad = unpairedSurrogate(value.textValue());
            if (bad >= 0) {
                throw unpaired("field '" + name + "'", bad);
            }
        } else if (numbers && (value.isBigDecimal() || value.isContainerNode())) {
            checkNumbers(name, value);
        }
    }

    /**
     * Refuses a decimal whose exponent is beyond {@link Values#MAX_EXPONENT}, at any depth: a few
     * bytes of JSON ({@code 1e-999999999}) are a number whose exact arithmetic (a scale of a
     * billion) no reader of the row should have to survive. Integers are bounded by their digits.
     */
    private static void checkNumbers(String name, JsonNode value) throws LiveQueryException {
        if (value.isBigDecimal()) {
            if (!Values.inRange(value.decimalValue())) {
                throw new LiveQueryException(BAD_REQUEST, "field '" + name + "' holds a " + Values.OUT_OF_RANGE);
            }
        } else if (value.isContainerNode()) {
            for (JsonNode v : value) {
                checkNumbers(name, v);
            }
        }
    }

    private static void checkUnicode(String what, String s) throws LiveQueryException {
        int bad = unpairedSurrogate(s);
        if (bad >= 0) {
            throw unpaired(what, bad);
        }
    }

    private static LiveQueryException unpaired(String what, int i) {
        return new LiveQueryException(
                BAD_REQUEST,
                what + " holds an unpaired UTF-16 surrogate at index " + i + "; strings must be valid Unicode");
    }

    /** The index of the first unpaired surrogate in s, or -1. */
    private static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The row as JSON text, refused with {@code too_large} when its UTF-8 encoding is over
     * {@code maxBytes} ({@code livequery.limits.max-row}): one row must not be able to take a
     * share of memory (the history keeps every version within the horizon) no other row can.
     */
    public static String checkSize(String id, ObjectNode row, int maxBytes) throws LiveQueryException {
        String json = RowText.of(row);
        if ((long) json.length() * 3 > maxBytes) {
            long bytes = utf8Length(json);
            if (bytes > maxBytes) {
                throw new LiveQueryException(
                        TOO_LARGE,
                        "row '" + id + "' is " + bytes + " bytes as JSON; a row may " + "have at most " + maxBytes
                                + " (livequery.limits.max-row)");
            }
        }
        return json;
    }

    /** The length of s in UTF-8, in bytes. */
    public static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * A private copy of a row a client writes, with {@code "id"} first; the caller's node is never
     * kept. Refuses, besides, a number out of range ({@link Values#inRange}).
     */
    public static ObjectNode copy(String id, ObjectNode row) throws LiveQueryException {
        return copy(id, row, true);
    }

    /**
     * {@link #copy} for a row fed by a change stream (a shard's, a Postgres source's): its numbers
     * are taken as they are (a refusal would stop the stream; they sort and encode in bounded time).
     */
    static ObjectNode copyFed(String id, ObjectNode row) throws LiveQueryException {
        return copy(id, row, false);
    }

    private static ObjectNode copy(String id, ObjectNode row, boolean numbers) throws LiveQueryException {
        checkId(id);
        JsonNode bodyId = row.get("id");
        if (bodyId != null && !(bodyId.isTextual() && bodyId.textValue().equals(id))) {
            throw new LiveQueryException(BAD_REQUEST, "the row's id " + bodyId + " differs from '" + id + "'");
        }
        // One pass checks the strings and copies; a row of a few fields is stored compactly.
        int n = row.size() + (bodyId == null ? 1 : 0);
        JsonNode idNode = bodyId != null ? bodyId : TextNode.valueOf(id); // a TextNode is immutable
        if (n > RowFields.MAX) {
            Map<String, JsonNode> fields = new LinkedHashMap<>(n * 2);
            fields.put("id", idNode);
            for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                checkField(e.getKey(), e.getValue(), numbers);
                if (!e.getKey().equals("id")) {
                    fields.put(e.getKey(), e.getValue().deepCopy());
                }
            }
            return new ObjectNode(JsonNodeFactory.instance, fields);
        }
        RowFields fields = RowFields.forCopy(n);
        fields.append("id", idNode);
        for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            checkField(e.getKey(), e.getValue(), numbers);
            if (!e.getKey().equals("id")) {
                fields.append(e.getKey(), e.getValue().deepCopy()); // the body's names are distinct
            }
        }
        fields.seal();
        return new RowFields.Node(fields);
    }
}
