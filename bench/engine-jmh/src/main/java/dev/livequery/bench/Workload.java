package dev.livequery.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.SplittableRandom;

/**
 * The workload of the engine benchmark, the same for the engine and for the requery+diff
 * baseline, and deterministic (fixed seed).
 *
 * <ul>
 * <li>Table {@code items}: {@value #ROWS} rows {@code {id, cat, price, rank, name, title}};
 *     {@code cat} = row number mod {@value #CATS} at the start (1,000 rows per category).</li>
 * <li>{@value #CATS} shapes: shape {@code k} is {@code where {"cat": k}} with one of the four
 *     multi-key orders of {@link #ORDERS} ({@code k % 4}).</li>
 * <li>{@value #SUBS_PER_SHAPE} subscriptions per shape (1,000 in all), windows of {@value #LIMIT}:
 *     4 from the top, 3 {@code after} the cursor of the row at view position 100/400/700, 3
 *     {@code before} the cursor of the row at position 250/550/900 (positions at subscribe time).</li>
 * <li>A change is one {@code put} replacing a random row: always a new {@code price} (a sort key
 *     of every order), with probability 1/4 a new {@code rank}, 1/10 a new {@code name}, and 1/5
 *     a new {@code cat} (the row leaves one view and enters another). Rows therefore move within
 *     and across views and through window edges. Changes are generated as the benchmark runs (not
 *     replayed from a ring, which would rewrite rows with the values they already hold).</li>
 * </ul>
 */
final class Workload {
    static final String TABLE = "items";
    static final int ROWS = 100_000;
    static final int CATS = 100;
    static final int SUBS_PER_SHAPE = 10;
    static final int LIMIT = 50;

    /** Orders: a leading '-' is descending; the row id is the implicit final key. */
    static final String[][] ORDERS = {
        {"price"}, {"-price", "name"}, {"rank", "-price"}, {"-rank", "name", "price"},
    };

    enum Kind {
        TOP,
        AFTER,
        BEFORE
    }

    static final Kind[] KIND = {
        Kind.TOP,
        Kind.TOP,
        Kind.TOP,
        Kind.TOP,
        Kind.AFTER,
        Kind.AFTER,
        Kind.AFTER,
        Kind.BEFORE,
        Kind.BEFORE,
        Kind.BEFORE
    };
    /** For AFTER/BEFORE: the view position (at subscribe time) of the row whose cursor bounds the window. */
    static final int[] POS = {0, 0, 0, 0, 100, 400, 700, 250, 550, 900};

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final long SEED = 20240601L;

    final String[] ids = new String[ROWS];
    final String[] titles = new String[ROWS];
    final ObjectNode[] initial = new ObjectNode[ROWS];
    /** Current values per row, so every change is a real change of the row as it is now. */
    private final int[] cat = new int[ROWS];

    private final int[] rank = new int[ROWS];
    private final String[] name = new String[ROWS];
    private final String[] names = new String[4096];
    private final SplittableRandom rnd = new SplittableRandom(SEED);

    /** The change last made by {@link #next()}. */
    String id;

    ObjectNode data;
    int catBefore;
    int catAfter;

    Workload() {
        for (int i = 0; i < names.length; i++) {
            names[i] = name(rnd);
        }
        for (int r = 0; r < ROWS; r++) {
            ids[r] = String.format("r%05d", r);
            titles[r] = "Item " + ids[r];
            cat[r] = r % CATS;
            rank[r] = rnd.nextInt(100);
            name[r] = names[rnd.nextInt(names.length)];
            initial[r] = row(r, rnd.nextInt(100_000));
        }
    }

    /**
     * Makes the next change (a fresh row object for a random row; a few hundred ns, paid equally
     * by every benchmark that uses it). Same seed, same sequence, for the engine and the baseline.
     */
    void next() {
        int r = rnd.nextInt(ROWS);
        catBefore = cat[r];
        if (rnd.nextInt(4) == 0) {
            rank[r] = rnd.nextInt(100);
        }
        if (rnd.nextInt(10) == 0) {
            name[r] = names[rnd.nextInt(names.length)];
        }
        if (rnd.nextInt(5) == 0) {
            cat[r] = rnd.nextInt(CATS);
        }
        catAfter = cat[r];
        id = ids[r];
        data = row(r, rnd.nextInt(100_000));
    }

    private static String name(SplittableRandom rnd) {
        char[] c = new char[8];
        for (int i = 0; i < c.length; i++) {
            c[i] = (char) ('a' + rnd.nextInt(26));
        }
        return new String(c);
    }

    private ObjectNode row(int r, int price) {
        return row(ids[r], cat[r], price, rank[r], name[r], titles[r]);
    }

    static ObjectNode row(String id, int cat, int price, int rank, String name, String title) {
        ObjectNode o = F.objectNode();
        o.put("id", id);
        o.put("cat", cat);
        o.put("price", price);
        o.put("rank", rank);
        o.put("name", name);
        o.put("title", title);
        return o;
    }

    /** The query of shape {@code shape} with a window; {@code after}/{@code before} may be null. */
    static ObjectNode query(int shape, int limit, String after, String before) {
        ObjectNode q = F.objectNode();
        q.put("table", TABLE);
        q.putObject("where").put("cat", shape);
        ArrayNode order = q.putArray("order");
        for (String k : ORDERS[shape % ORDERS.length]) {
            ObjectNode o = order.addObject();
            o.put("field", k.startsWith("-") ? k.substring(1) : k);
            o.put("dir", k.startsWith("-") ? "desc" : "asc");
        }
        q.put("limit", limit);
        if (after != null) {
            q.put("after", after);
        }
        if (before != null) {
            q.put("before", before);
        }
        return q;
    }
}
