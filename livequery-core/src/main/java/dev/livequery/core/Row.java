package dev.livequery.core;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One stored version of a row: its id, the server-assigned version and the JSON object (which
 * includes {@code "id"}). Immutable by contract: the object is never modified after the row is
 * made, which is what lets many views, windows and frames share it and its encoded JSON.
 */
public final class Row {
    private final String id;
    private final long version;
    private final ObjectNode data;
    private volatile String json;
    /**
     * The length of {@link #json} once known: the history costs the row it supersedes by its
     * text's length, which read from the string is two more dependent loads on a cold row.
     */
    private int textLength = -1;
    /**
     * The key this row has in one view (the first that keyed it) and that view: when the row is
     * replaced, that view finds its old position without matching and keying the old image
     * again. Read and written under the table's lock only.
     */
    private Object keyView;

    private Key key;

    /**
     * This row's values of the fields its table routes changes by ({@link Table}'s index): one
     * value, or an array of one per field, as of the routing {@link #routeFor} names. Kept so that
     * routing the change that replaces this row reads them here, where the row is already in
     * cache, instead of walking its object to each field (three dependent loads on a row no one
     * touched lately). Null when unknown. Written once, when the row is stored by a change, and
     * read, under the table's lock only.
     */
    private Object route;

    /** The routing (a token of the table's, replaced when its routed fields change) {@link #route} is for. */
    private Object routeFor;

    public Row(String id, long version, ObjectNode data) {
        this(id, version, data, null);
    }

    /** A row whose JSON text is already known (it was encoded to check its size): encoded once. */
    public Row(String id, long version, ObjectNode data, String json) {
        this.id = id;
        this.version = version;
        this.data = data;
        this.json = json;
        if (json != null) {
            this.textLength = json.length();
        }
    }

    public String id() {
        return id;
    }

    public long version() {
        return version;
    }

    /** The row object. Do not modify it. */
    public ObjectNode data() {
        return data;
    }

    /** The row object as JSON text, encoded once however many frames carry it. */
    public String json() {
        String j = json;
        if (j == null) {
            j = RowText.of(data);
            textLength = j.length();
            json = j;
        }
        return j;
    }

    /** {@code json().length()}, without reading the text when it is known. */
    int textLength() {
        int n = textLength;
        return n >= 0 ? n : json().length();
    }

    /** This row's key in {@code view} if that view keyed it, else null. Under the table's lock. */
    Key keyIn(Object view) {
        return keyView == view ? key : null;
    }

    /** Remembers the row's key in {@code view}, unless another view already did. Under the table's lock. */
    void keyed(Object view, Key k) {
        if (keyView == null) {
            keyView = view;
            key = k;
        }
    }

    /** {@link #route} if it was stored for routing {@code token}, else null. Under the table's lock. */
    Object routeIn(Object token) {
        return routeFor == token ? route : null;
    }

    /** Remembers this row's routing values for routing {@code token}. Under the table's lock. */
    void routed(Object token, Object values) {
        routeFor = token;
        route = values;
    }

    @Override
    public String toString() {
        return id + "@" + version + json();
    }
}
