package dev.livequery.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The fields of a stored row's {@code ObjectNode}: two parallel arrays in insertion order, in
 * place of the {@code LinkedHashMap} Jackson gives every object.
 *
 * <p>Why: a row lives in the table (and the history) as long as it is current, and a write makes
 * one; a {@code LinkedHashMap} of six fields is ~390 bytes (the map, its table, an entry per
 * field), these arrays ~110. Lookups scan the names, which for the few fields of a row is as
 * fast as hashing (field names are mostly the same interned strings, so {@code ==} decides).
 * Only small objects use it ({@link #MAX} fields, see {@link Rows#copy}).
 *
 * <p>A complete, mutable, insertion-ordered map, so an {@code ObjectNode} over it behaves as
 * over Jackson's own; stored rows are never modified, by contract.
 */
final class RowFields extends AbstractMap<String, JsonNode> {
    /** Objects with more fields keep Jackson's map: a linear scan would not stay cheap. */
    static final int MAX = 16;

    /**
     * The names of a row copied lately, per field count. Rows of a table mostly have the same
     * names in the same order, and a copy that finds them here shares that array instead of
     * making its own (one allocation less per write, and per stored row). A shared array is never
     * written: a map copies it before its first change of names ({@link #own}).
     */
    private static final AtomicReferenceArray<String[]> RECENT = new AtomicReferenceArray<>(MAX + 1);

    private String[] names;
    private JsonNode[] values;
    private int size;
    /** {@link #names} is (or may be) another map's too. */
    private boolean shared;

    RowFields(int capacity) {
        names = new String[capacity];
        values = new JsonNode[capacity];
    }

    private RowFields(String[] names) {
        this.names = names;
        this.values = new JsonNode[names.length];
        this.shared = true;
    }

    /**
     * An empty map for a copy of {@code n} fields, to be filled with {@link #append} and then
     * {@link #seal}ed: it shares the names of the last such copy for as long as they match.
     */
    static RowFields forCopy(int n) {
        String[] recent = n <= MAX ? RECENT.get(n) : null;
        return recent != null ? new RowFields(recent) : new RowFields(n);
    }

    /** The copy is complete: its names are offered to the next copy of as many fields. */
    void seal() {
        if (!shared && size == names.length && size <= MAX) {
            RECENT.set(size, names);
            shared = true;
        }
    }

    /** Makes {@link #names} this map's own before it changes. */
    private void own() {
        if (shared) {
            names = names.clone();
            shared = false;
        }
    }

    /**
     * A row object over these fields that lets {@link RowText} walk the arrays themselves (an
     * iterator and an entry per field otherwise, on every write). Otherwise a plain ObjectNode.
     */
    @SuppressWarnings("unchecked") // Jackson's own deepCopy() override, inherited
    static final class Node extends ObjectNode {
        private static final long serialVersionUID = 1L;

        final transient RowFields fields;

        Node(RowFields fields) {
            super(JsonNodeFactory.instance, fields);
            this.fields = fields;
        }
    }

    String name(int i) {
        return names[i];
    }

    JsonNode value(int i) {
        return values[i];
    }

    private int indexOf(Object name) {
        for (int i = 0; i < size; i++) {
            if (names[i] == name) {
                return i;
            }
        }
        if (name != null) {
            for (int i = 0; i < size; i++) {
                if (names[i].equals(name)) {
                    return i;
                }
            }
        }
        return -1;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean containsKey(Object name) {
        return indexOf(name) >= 0;
    }

    @Override
    public JsonNode get(Object name) {
        int i = indexOf(name);
        return i < 0 ? null : values[i];
    }

    @Override
    public JsonNode put(String name, JsonNode value) {
        int i = indexOf(name);
        if (i >= 0) {
            JsonNode old = values[i];
            values[i] = value;
            return old;
        }
        append(name, value);
        return null;
    }

    /** Adds a field known not to be here yet (a copy of a map, whose names are distinct): no scan. */
    void append(String name, JsonNode value) {
        if (shared) {
            String had = size < names.length ? names[size] : null;
            if (had != null && (had == name || had.equals(name))) {
                values[size++] = value; // the same name at the same place: the array stays shared
                return;
            }
            own();
        }
        if (size == names.length) {
            int n = Math.max(4, size * 2);
            names = Arrays.copyOf(names, n);
            values = Arrays.copyOf(values, n);
        }
        names[size] = name;
        values[size++] = value;
    }

    @Override
    public JsonNode remove(Object name) {
        int i = indexOf(name);
        if (i < 0) {
            return null;
        }
        JsonNode old = values[i];
        removeAt(i);
        return old;
    }

    private void removeAt(int i) {
        own();
        System.arraycopy(names, i + 1, names, i, size - i - 1);
        System.arraycopy(values, i + 1, values, i, size - i - 1);
        size--;
        names[size] = null;
        values[size] = null;
    }

    @Override
    public void clear() {
        own();
        Arrays.fill(names, 0, size, null);
        Arrays.fill(values, 0, size, null);
        size = 0;
    }

    @Override
    public Set<Map.Entry<String, JsonNode>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public Iterator<Map.Entry<String, JsonNode>> iterator() {
                return new Iterator<>() {
                    int next;
                    int last = -1;

                    @Override
                    public boolean hasNext() {
                        return next < size;
                    }

                    @Override
                    public Map.Entry<String, JsonNode> next() {
                        if (next >= size) {
                            throw new NoSuchElementException();
                        }
                        last = next++;
                        return new Field(last);
                    }

                    @Override
                    public void remove() {
                        if (last < 0) {
                            throw new IllegalStateException();
                        }
                        removeAt(last);
                        next = last;
                        last = -1;
                    }
                };
            }
        };
    }

    /** A live view of field {@code i}, as a map's entries are. */
    private final class Field implements Map.Entry<String, JsonNode> {
        private final int i;

        Field(int i) {
            this.i = i;
        }

        @Override
        public String getKey() {
            return names[i];
        }

        @Override
        public JsonNode getValue() {
            return values[i];
        }

        @Override
        public JsonNode setValue(JsonNode v) {
            JsonNode old = values[i];
            values[i] = v;
            return old;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Map.Entry<?, ?> e
                    && names[i].equals(e.getKey())
                    && java.util.Objects.equals(values[i], e.getValue());
        }

        @Override
        public int hashCode() {
            return names[i].hashCode() ^ java.util.Objects.hashCode(values[i]);
        }
    }
}
