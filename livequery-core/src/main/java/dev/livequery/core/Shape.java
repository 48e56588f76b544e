package dev.livequery.core;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The (table, where, order, access) of a query. Subscriptions with equal shapes share one
 * server-side view (PROTOCOL §2); equality is on the canonical form, so {@code {"a":1,"b":2}} and
 * {@code {"b":2,"a":1.0}} are one shape. Cursors and resume tokens are bound to the
 * {@link #fingerprint()}, so they are refused by any other shape.
 *
 * <h2>Access</h2>
 * {@code access} is the read filter of the principal (PROTOCOL §9), a member of its own next to
 * the client's {@code where}, never merged into it: merged, {@code where {tenant:a}} with access
 * {@code {tenant:b}} could collapse to the same conjunction as another client's, and two
 * principals would share a view, cursors and tokens. As a separate member it is part of the
 * canonical form and the fingerprint, so the same filter shares a view and a different one never
 * does, and a cursor or token minted under one filter does not verify under another. The
 * unrestricted {@link Where#ALL} is left out of the canonical form, so shapes without access keep
 * the fingerprint (and the cursors) they always had.
 */
public final class Shape {
    private final String table;
    final Where where;
    final Order order;
    private final Where access;
    private final Where.Term indexTerm;
    private final String canonical;
    private final byte[] fingerprint;

    Shape(String table, Where where, Order order) {
        this(table, where, order, Where.ALL);
    }

    Shape(String table, Where where, Order order, Where access) {
        this.table = table;
        this.where = where;
        this.order = order;
        this.access = access == null ? Where.ALL : access;
        this.indexTerm = indexTerm(where, this.access);
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("table", table);
        c.set("where", where.canonical());
        c.set("order", order.canonical());
        if (!this.access.isAll()) {
            c.set("access", this.access.canonical());
        }
        this.canonical = Json.text(c);
        try {
            this.fingerprint = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * The access filter's {@code eq} first: tenants' views of the same user where (say
     * {@code status: open}) would otherwise all be filed under one value, and every write there
     * would touch every tenant's view. Any one top-level term is correct, since a row must match both.
     */
    private static Where.Term indexTerm(Where where, Where access) {
        Where.Term t = access.eqTerm();
        if (t == null) {
            t = where.eqTerm();
        }
        if (t == null) {
            t = where.inTerm();
        }
        if (t == null) {
            t = access.inTerm();
        }
        return t;
    }

    public String table() {
        return table;
    }

    /** The principal's read filter; {@link Where#ALL} when unrestricted, never null. */
    public Where access() {
        return access;
    }

    /** Whether a row is in this shape: it matches the where and the access filter. */
    boolean matches(ObjectNode row) {
        return where.matches(row) && access.matches(row);
    }

    /** The term change routing files this shape's view under, or null to scan it on every change. */
    Where.Term indexTerm() {
        return indexTerm;
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
