package dev.livequery.core;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The (table, where, order) of a query. Subscriptions with equal shapes share one server-side
 * view (PROTOCOL §2); equality is on the canonical form, so {@code {"a":1,"b":2}} and
 * {@code {"b":2,"a":1.0}} are one shape. Cursors and resume tokens are bound to the
 * {@link #fingerprint()}, so they are refused by any other shape.
 */
public final class Shape {
    private final String table;
    final Where where;
    final Order order;
    private final String canonical;
    private final byte[] fingerprint;

    Shape(String table, Where where, Order order) {
        this.table = table;
        this.where = where;
        this.order = order;
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("table", table);
        c.set("where", where.canonical());
        c.set("order", order.canonical());
        this.canonical = Json.text(c);
        try {
            this.fingerprint = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    public String table() {
        return table;
    }

    /** SHA-256 of the canonical form. */
    byte[] fingerprint() {
        return fingerprint;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(fingerprint, s.fingerprint) && canonical.equals(s.canonical);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(fingerprint);
    }

    /** The canonical JSON form, e.g. for logs. */
    @Override
    public String toString() {
        return canonical;
    }
}
