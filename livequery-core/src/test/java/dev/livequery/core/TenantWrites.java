package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.FORBIDDEN;
import static dev.livequery.core.LiveQueryException.Code.NOT_FOUND;
import static dev.livequery.core.LiveQueryException.Code.VERSION_MISMATCH;
import static dev.livequery.core.TenantIsolationTest.FILTERS;
import static dev.livequery.core.TenantIsolationTest.Run.admits;
import static dev.livequery.core.TenantIsolationTest.TABLE;
import static dev.livequery.core.TenantIsolationTest.TENANTS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.Oracle.Stored;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The writes of {@link TenantIsolationTest}: a random put, patch, delete or batch under a random
 * write filter, whose outcome (done, 404, 403, 412) must be exactly what the oracle says; the
 * truth changes only when the write was done.
 */
final class TenantWrites {
    private final Random rnd;
    private final LocalBackend b;
    private final Where[] filters;
    private final Map<String, Stored> truth;
    private final List<String> log;

    TenantWrites(Random rnd, LocalBackend b, Where[] filters, Map<String, Stored> truth, List<String> log) {
        this.rnd = rnd;
        this.b = b;
        this.filters = filters;
        this.truth = truth;
        this.log = log;
    }

    ObjectNode randomRow() {
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("tenant", TENANTS[rnd.nextInt(TENANTS.length)]);
        if (rnd.nextInt(4) > 0) {
            r.put("owner", rnd.nextBoolean() ? "u1" : "u2");
        }
        r.put("n", rnd.nextInt(20));
        r.put("status", rnd.nextBoolean() ? "open" : "done");
        return r;
    }

    String randomId() {
        return "r" + rnd.nextInt(14);
    }

    void step() throws LiveQueryException {
        int f = rnd.nextInt(FILTERS.length);
        Where w = f == 0 && rnd.nextBoolean() ? null : filters[f];
        String id = randomId();
        Stored cur = truth.get(id);
        Long ifMatch = rnd.nextInt(5) > 0 ? null : cur != null && rnd.nextBoolean() ? cur.version() : 987_654L;
        int kind = rnd.nextInt(4);
        LiveQueryException.Code got = null;
        String message = null;
        Map<String, ObjectNode> applied = new LinkedHashMap<>();
        List<Long> versions = new ArrayList<>();
        try {
            switch (kind) {
                case 0 -> {
                    ObjectNode row = randomRow();
                    ObjectNode after = row.deepCopy().put("id", id);
                    applied.put(id, after);
                    String what = "put " + id + " " + row + " if-match " + ifMatch;
                    log.add(what + " under " + FILTERS[f]);
                    versions.add(b.put(TABLE, id, row, ifMatch, w).version());
                }
                case 1 -> {
                    ObjectNode fields = Json.MAPPER.createObjectNode();
                    switch (rnd.nextInt(4)) {
                        case 0 -> fields.put("tenant", TENANTS[rnd.nextInt(TENANTS.length)]);
                        case 1 -> fields.putNull("owner");
                        case 2 -> fields.put("owner", "u1");
                        default -> fields.put("n", rnd.nextInt(20));
                    }
                    ObjectNode after = null;
                    if (cur != null) {
                        after = cur.data().deepCopy();
                        ObjectNode a = after;
                        fields.fields().forEachRemaining(e -> {
                            if (e.getValue().isNull()) {
                                a.remove(e.getKey());
                            } else {
                                a.set(e.getKey(), e.getValue());
                            }
                        });
                    }
                    applied.put(id, after);
                    String what = "patch " + id + " " + fields + " if-match " + ifMatch;
                    log.add(what + " under " + FILTERS[f]);
                    versions.add(b.patch(TABLE, id, fields, ifMatch, w).version());
                }
                case 2 -> {
                    applied.put(id, null);
                    String what = "delete " + id + " if-match " + ifMatch;
                    log.add(what + " under " + FILTERS[f]);
                    versions.add(b.delete(TABLE, id, ifMatch, w).version());
                }
                default -> {
                    List<ObjectNode> ups = new ArrayList<>();
                    List<String> dels = new ArrayList<>();
                    Set<String> ids = new HashSet<>();
                    for (int i = 0, n = 1 + rnd.nextInt(3); i < n; i++) {
                        String uid = randomId();
                        if (ids.add(uid)) {
                            ObjectNode after = randomRow().put("id", uid);
                            ups.add(after);
                            applied.put(uid, after);
                        }
                    }
                    if (rnd.nextBoolean()) {
                        String did = randomId();
                        if (ids.add(did)) {
                            dels.add(did);
                            applied.put(did, null);
                        }
                    }
                    String what = "batch " + ups + " delete " + dels;
                    log.add(what + " under " + FILTERS[f]);
                    for (WriteResult r : b.batch(TABLE, ups, dels, w)) {
                        versions.add(r.version());
                    }
                }
            }
        } catch (LiveQueryException e) {
            got = e.code();
            message = e.getMessage();
        }
        LiveQueryException.Code want = want(kind, f, id, cur, ifMatch, applied);
        if (got == NOT_FOUND) {
            // word for word what an absent row gets: nothing about the hidden row
            assertThat(message)
                    .matches("row '[^']+' does not exist in table 'items'" + "(; nothing in the batch was applied)?");
        }
        assertThat(got)
                .as(
                        "outcome of %s under filter %s (row now %s)",
                        log.get(log.size() - 1), FILTERS[f], cur == null ? "absent" : cur.data())
                .isEqualTo(want);
        if (got == null) {
            int i = 0;
            for (Map.Entry<String, ObjectNode> e : applied.entrySet()) {
                if (e.getValue() == null) {
                    truth.remove(e.getKey());
                } else {
                    truth.put(e.getKey(), new Stored(e.getKey(), versions.get(i), e.getValue()));
                }
                i++;
            }
        }
    }

    /** The code the oracle expects (recomputed, so the expectation does not depend on what threw). */
    LiveQueryException.Code want(
            int kind, int f, String id, Stored cur, Long ifMatch, Map<String, ObjectNode> applied) {
        boolean versionOk = ifMatch == null || cur != null && cur.version() == ifMatch;
        boolean before = cur == null || admits(f, cur.data());
        return switch (kind) {
            case 0 ->
                !admits(f, applied.get(id)) ? FORBIDDEN : !before ? NOT_FOUND : !versionOk ? VERSION_MISMATCH : null;
            case 1 ->
                cur == null || !before
                        ? NOT_FOUND
                        : !versionOk ? VERSION_MISMATCH : !admits(f, applied.get(id)) ? FORBIDDEN : null;
            case 2 -> cur == null || !before ? NOT_FOUND : !versionOk ? VERSION_MISMATCH : null;
            default -> {
                boolean forbidden = false;
                boolean hidden = false;
                for (Map.Entry<String, ObjectNode> e : applied.entrySet()) {
                    Stored c = truth.get(e.getKey());
                    if (e.getValue() != null) {
                        forbidden |= !admits(f, e.getValue());
                        hidden |= c != null && !admits(f, c.data());
                    } else {
                        hidden |= c == null || !admits(f, c.data());
                    }
                }
                yield forbidden ? FORBIDDEN : hidden ? NOT_FOUND : null;
            }
        };
    }
}
