package dev.livequery.gateway.http;

import static dev.livequery.core.LiveQueryException.Code.BAD_REQUEST;
import static dev.livequery.core.LiveQueryException.Code.CONFLICT;
import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;
import static dev.livequery.core.LiveQueryException.Code.TOO_LARGE;
import static dev.livequery.core.LiveQueryException.Code.UNSUPPORTED_MEDIA_TYPE;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.Idempotency;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import dev.livequery.core.Query;
import dev.livequery.core.QueryResult;
import dev.livequery.core.Row;
import dev.livequery.core.Rows;
import dev.livequery.core.WriteResult;
import dev.livequery.gateway.auth.Auth;
import dev.livequery.gateway.auth.AuthFilter;
import dev.livequery.gateway.auth.Grant;
import dev.livequery.gateway.auth.Principal;
import dev.livequery.gateway.auth.Rules;
import dev.livequery.gateway.auth.Scoped;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/** {@code /v1/tables/{t}/…}: row reads and writes, batches, one-shot queries. */
public final class RowsApi implements HttpService {
    private final Backend backend;
    private final int maxBody;
    private final long maxResponse;
    private final Auth auth;

    /**
     * Every call is scoped by the request principal's grant (PROTOCOL §9); a one-shot query's
     * answer carries at most {@code maxResponse} bytes of rows and cursors (at least one row).
     */
    public RowsApi(Backend backend, int maxBody, long maxResponse, Auth auth) {
        this.backend = backend;
        this.maxBody = maxBody;
        this.maxResponse = maxResponse;
        this.auth = auth;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.put("/{t}/rows/{id}", HttpErrors.guard(this::put))
                .patch("/{t}/rows/{id}", HttpErrors.guard(this::patch))
                .delete("/{t}/rows/{id}", HttpErrors.guard(this::delete))
                .get("/{t}/rows/{id}", HttpErrors.guard(this::get))
                .post("/{t}/batch", HttpErrors.guard(this::batch))
                .get("/{t}/query", HttpErrors.guard(this::query));
    }

    /**
     * The backend, under the request's {@code Idempotency-Key} if it has one (safe retries;
     * docs/protocol.md). The key is bound to the request as sent: method, table, row, If-Match as
     * written (a retry of {@code If-Match: *} resolves to another version, yet is the same request),
     * body. The key itself is scoped by the principal ({@link Idempotency#scoped}: {@code sub} in
     * jwt mode, the client address in none mode, as quotas key them), so one principal's keys never
     * block, answer or reveal another's; an anonymous client's retry must come from the same address.
     */
    private Backend writer(ServerRequest req, ObjectNode body) throws LiveQueryException {
        var key = req.headers().first(HeaderNames.create("Idempotency-Key"));
        if (key.isEmpty()) {
            return backend;
        }
        if (key.get().isEmpty() || key.get().length() > 200) {
            throw new LiveQueryException(BAD_REQUEST, "Idempotency-Key must have 1 to 200 characters");
        }
        Principal p = AuthFilter.principal(req);
        String request = fingerprint(
                req.prologue().method().text(),
                table(req),
                req.path().pathParameters().first("id").orElse(""),
                req.headers().first(HeaderNames.IF_MATCH).map(String::trim).orElse(""),
                body == null ? "" : Json.text(body)); // the principal is in the scoped key
        return backend.idempotent(Idempotency.scoped(p.key(), key.get()), request);
    }

    /** The parts, each prefixed with its length, so no two different requests read the same. */
    private static String fingerprint(String... parts) {
        StringBuilder b = new StringBuilder();
        for (String part : parts) {
            b.append(part.length()).append(':').append(part);
        }
        return b.toString();
    }

    private void put(ServerRequest req, ServerResponse res) throws LiveQueryException {
        Grant g = grantWrite(req);
        ObjectNode body = object(req);
        Backend b = writer(req, body);
        WriteResult r = write(req, g, VERSION_MISMATCH, v -> Scoped.put(b, table(req), id(req), body, v, g));
        json(res, written(r));
    }

    private void patch(ServerRequest req, ServerResponse res) throws LiveQueryException {
        Grant g = grantWrite(req);
        ObjectNode body = object(req);
        Backend b = writer(req, body);
        WriteResult r = write(req, g, NOT_FOUND, v -> Scoped.patch(b, table(req), id(req), body, v, g));
        json(res, written(r));
    }

    private void delete(ServerRequest req, ServerResponse res) throws LiveQueryException {
        Grant g = grantWrite(req);
        Backend b = writer(req, null);
        WriteResult r = write(req, g, NOT_FOUND, v -> Scoped.delete(b, table(req), id(req), v, g));
        json(res, written(r));
    }

    /** A write given the version it is conditional on (null: none). */
    @FunctionalInterface
    private interface Write {
        WriteResult at(Long version) throws LiveQueryException;
    }

    /** Attempts at an {@code If-Match: *} write before giving up with 409 (the row kept changing). */
    private static final int STAR_ATTEMPTS = 8;

    /**
     * Runs {@code w} under the request's {@code If-Match}. {@code *} means "the row exists" (RFC 9110
     * §13.1.1): the write is made conditional on the version read just before, and retried when
     * another write came in between. An absent row answers {@code absent}: 412 for PUT, whose
     * unconditional form would create it; 404 for PATCH and DELETE, which need it anyway.
     */
    private WriteResult write(ServerRequest req, Grant grant, LiveQueryException.Code absent, Write w)
            throws LiveQueryException {
        String h = req.headers().first(HeaderNames.IF_MATCH).map(String::trim).orElse(null);
        if (!"*".equals(h)) {
            return w.at(ifMatch(req));
        }
        for (int attempt = 1; ; attempt++) {
            long version;
            try {
                // read through the write filter: a row this principal may not write does not exist for it
                version = Scoped.get(backend, table(req), id(req), grant).version();
            } catch (LiveQueryException e) {
                if (e.code() != NOT_FOUND) {
                    throw e;
                }
                throw new LiveQueryException(absent, "row '" + id(req) + "' does not exist (If-Match: * needs it to)");
            }
            try {
                return w.at(version);
            } catch (LiveQueryException e) {
                if (e.code() != VERSION_MISMATCH) {
                    throw e;
                }
                if (attempt == STAR_ATTEMPTS) {
                    throw new LiveQueryException(
                            CONFLICT,
                            "row '" + id(req) + "' changed during each of " + STAR_ATTEMPTS
                                    + " attempts at this If-Match: * write; retry");
                }
            }
        }
    }

    private void get(ServerRequest req, ServerResponse res) throws LiveQueryException {
        Row r = Scoped.get(backend, table(req), id(req), read(req));
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("id", r.id());
        body.put("version", r.version());
        body.set("row", r.data());
        res.header(HeaderNames.ETAG, "\"" + r.version() + "\"");
        json(res, body);
    }

    private void batch(ServerRequest req, ServerResponse res) throws LiveQueryException {
        ObjectNode body = object(req);
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("upsert") && !f.equals("delete")) {
                throw new LiveQueryException(BAD_REQUEST, "unknown batch member '" + f + "' (expected upsert, delete)");
            }
        }
        List<ObjectNode> upserts = new ArrayList<>();
        for (JsonNode n : array(body, "upsert")) {
            if (!n.isObject()) {
                throw new LiveQueryException(BAD_REQUEST, "upsert holds row objects");
            }
            upserts.add((ObjectNode) n);
        }
        List<String> deletes = new ArrayList<>();
        for (JsonNode n : array(body, "delete")) {
            if (!n.isTextual()) {
                throw new LiveQueryException(BAD_REQUEST, "delete holds row id strings");
            }
            deletes.add(n.textValue());
        }
        Grant g = grantWrite(req);
        List<WriteResult> results = Scoped.batch(writer(req, body), table(req), upserts, deletes, g);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("results");
        results.forEach(r -> arr.add(written(r)));
        json(res, out);
    }

    private void query(ServerRequest req, ServerResponse res) throws LiveQueryException {
        Parameters p = req.query();
        Query q = Query.fromParams(
                table(req), opt(p, "where"), opt(p, "order"), opt(p, "limit"), opt(p, "after"), opt(p, "before"));
        QueryResult r = backend.query(Scoped.query(q, read(req)));
        // limit (<= max-window) rows of up to max-row each would be a body of a GB: the answer
        // stops at max-response bytes of rows and cursors, as a page whose last cursor continues
        int n = fitting(r, maxResponse);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode rows = out.putArray("rows");
        ArrayNode cursors = out.putArray("cursors");
        for (int i = 0; i < n; i++) {
            rows.add(r.rows().get(i).data());
            cursors.add(r.cursors().get(i));
        }
        out.put("has_more_before", r.hasMoreBefore());
        out.put("has_more_after", r.hasMoreAfter() || n < r.rows().size());
        json(res, out);
    }

    /**
     * How many of the result's first rows fit in {@code max} bytes (a row's UTF-8 JSON and its
     * cursor), at least one: a row is at most max-row, so one always goes out.
     */
    static int fitting(QueryResult r, long max) {
        long bytes = 0;
        for (int i = 0; i < r.rows().size(); i++) {
            bytes +=
                    Rows.utf8Length(r.rows().get(i).json()) + r.cursors().get(i).length();
            if (bytes > max && i > 0) {
                return i;
            }
        }
        return r.rows().size();
    }

    private Grant read(ServerRequest req) throws LiveQueryException {
        return auth.grant(AuthFilter.principal(req), table(req), Rules.Op.READ);
    }

    /** The write grant, after charging one write request (a batch is one) to the principal's quota. */
    private Grant grantWrite(ServerRequest req) throws LiveQueryException {
        Principal p = AuthFilter.principal(req);
        Grant g = auth.grant(p, table(req), Rules.Op.WRITE);
        auth.quotas().writes(p, 1);
        return g;
    }

    static String opt(Parameters p, String name) throws LiveQueryException {
        return Params.one(p, name);
    }

    private static String table(ServerRequest req) {
        return req.path().pathParameters().get("t");
    }

    private static String id(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }

    private static Iterable<JsonNode> array(ObjectNode body, String name) throws LiveQueryException {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new LiveQueryException(BAD_REQUEST, "'" + name + "' must be an array");
        }
        return n;
    }

    private static Long ifMatch(ServerRequest req) throws LiveQueryException {
        var h = req.headers().first(HeaderNames.IF_MATCH);
        if (h.isEmpty()) {
            return null;
        }
        String v = h.get().trim();
        if (v.startsWith("W/")) {
            v = v.substring(2);
        }
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1);
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new LiveQueryException(
                    BAD_REQUEST, "If-Match must be a row version (an integer) or *, got '" + h.get() + "'");
        }
    }

    /** The body as a JSON object: 415 unless sent as JSON, 413 past max-body, 400 if it does not parse. */
    private ObjectNode object(ServerRequest req) throws LiveQueryException {
        var ct = req.headers().contentType();
        // type and subtype are case-insensitive (RFC 9110 §8.3.1); Helidon keeps them as sent
        if (ct.isEmpty()
                || !ct.get().mediaType().type().equalsIgnoreCase("application")
                || !ct.get().mediaType().subtype().equalsIgnoreCase("json")) {
            throw new LiveQueryException(UNSUPPORTED_MEDIA_TYPE, "send the body as Content-Type: application/json");
        }
        var len = req.headers().contentLength();
        if (len.isPresent() && len.getAsLong() > maxBody) {
            throw new LiveQueryException(
                    TOO_LARGE,
                    "body of " + len.getAsLong() + " bytes is over livequery.limits.max-body (" + maxBody + ")");
        }
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            // A known length (checked against max-body above) is read exactly: readNBytes(maxBody + 1)
            // allocates and zeroes a chunk of up to 16 KB per request however small the body.
            // Chunked or unknown length: up to one byte past max-body, for the 413 below.
            bytes = len.isPresent() ? in.readNBytes((int) len.getAsLong()) : in.readNBytes(maxBody + 1);
        } catch (IOException e) {
            throw new LiveQueryException(BAD_REQUEST, "could not read the body: " + e.getMessage());
        }
        if (bytes.length > maxBody) {
            throw new LiveQueryException(TOO_LARGE, "body is over livequery.limits.max-body (" + maxBody + " bytes)");
        }
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new LiveQueryException(BAD_REQUEST, "body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new LiveQueryException(BAD_REQUEST, "could not read the body: " + e.getMessage());
        }
        if (n == null || !n.isObject()) {
            throw new LiveQueryException(BAD_REQUEST, "body must be a JSON object");
        }
        return (ObjectNode) n;
    }

    private static ObjectNode written(WriteResult r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", r.id());
        o.put("version", r.version());
        if (r.deleted()) {
            o.put("deleted", true);
        }
        return o;
    }

    private static void json(ServerResponse res, ObjectNode body) {
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(Json.text(body));
    }
}
