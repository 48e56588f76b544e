package dev.livequery.sources.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Gen;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A random SQL workload on one table {@code t (id int primary key, n int, body text, doc jsonb)}
 * whose text and jsonb columns are stored out of line when large ({@code STORAGE EXTERNAL}), for
 * the property tests that compare what the source delivers with Postgres' own rows: rows written
 * before the source starts (its snapshot), then rounds of transactions (several changes each,
 * some rolled back, some with a rolled-back savepoint) that insert, update the small column only
 * (the TOASTed ones then come as unchanged), replace a TOASTed value, change the key (alone or
 * with a column), delete, update many rows in one statement, swap two rows' keys, truncate. Ids
 * are few (1..{@value #MAX_ID}), so one transaction often changes one row several times. Each
 * round ends with a marker transaction on row 0 (which no other change touches): once the source
 * delivered the marker, it delivered the whole round.
 *
 * <p>Operations pick rows by index into the ids present when they run, so any choice sequence
 * (as the shrinker edits it) is a valid workload; {@link #transcript} is the SQL that ran.
 */
record SqlScenario(boolean emptyStart, List<Op> initial, List<List<Txn>> rounds) {
    static final int MAX_ID = 12;

    enum Kind {
        INSERT,
        SET_N,
        SET_BODY,
        SET_DOC,
        REKEY,
        REKEY_SET_N,
        DELETE,
        BULK,
        SWAP,
        TRUNCATE
    }

    /** A body or doc value: size 0 null, 1 small (inline), 2 large (out of line); {@code seed} picks the content. */
    record Val(int size, int seed) {
        String sql(boolean json) {
            String text = switch (size) {
                case 0 -> "null";
                case 1 -> "'s" + seed + "'";
                default -> "(select string_agg(md5(" + seed + " || ':' || i), '') from generate_series(1, 400) i)";
            };
            if (!json || size == 0) {
                return text;
            }
            return "jsonb_build_object('v', " + seed + ", 'k', " + text + ")";
        }
    }

    /**
     * One statement: {@code a}, {@code b} pick rows (or free ids), {@code n} is a value of n;
     * {@code aborted}: run inside a savepoint that is rolled back.
     */
    record Op(Kind kind, int a, int b, int n, Val body, Val doc, boolean aborted) {}

    record Txn(List<Op> ops, boolean commit) {}

    static Gen<SqlScenario> scenarios(int maxRounds) {
        Gen<Val> val = s -> new Val(s.weighted(1, 2, 4), s.between(0, 999));
        Gen<Op> op = s -> new Op(
                Kind.values()[s.weighted(5, 6, 2, 2, 2, 2, 3, 1, 1, 1)],
                s.between(0, 99),
                s.between(0, 99),
                s.between(0, 99),
                val.generate(s),
                val.generate(s),
                s.weighted(12, 1) == 1);
        Gen<Txn> txn = s -> new Txn(op.list(1, 6).generate(s), s.weighted(6, 1) == 0);
        return s -> new SqlScenario(
                s.weighted(4, 1) == 1,
                op.list(0, 8).generate(s),
                txn.list(1, 6).list(1, maxRounds).generate(s));
    }

    /** Runs the scenario's statements on one connection, tracking the ids present. */
    static final class Runner {
        final Connection c;
        final String table;
        final StringBuilder transcript = new StringBuilder();
        private final TreeSet<Integer> ids = new TreeSet<>();

        Runner(Connection c, String table) {
            this.c = c;
            this.table = table;
        }

        void create() throws Exception {
            exec("create table " + table + " (id int primary key, n int, body text, doc jsonb)");
            exec("alter table " + table + " alter column body set storage external, alter column doc set storage"
                    + " external");
        }

        /** {@code ops} in one transaction, committed or rolled back. */
        void transaction(List<Op> ops, boolean commit) throws Exception {
            c.setAutoCommit(false);
            TreeSet<Integer> before = new TreeSet<>(ids);
            transcript.append("begin;\n");
            for (Op op : ops) {
                if (op.aborted()) {
                    TreeSet<Integer> at = new TreeSet<>(ids);
                    exec("savepoint a");
                    run(op);
                    exec("rollback to savepoint a");
                    ids.clear();
                    ids.addAll(at);
                } else {
                    run(op);
                }
            }
            if (commit) {
                c.commit();
                transcript.append("commit;\n");
            } else {
                c.rollback();
                transcript.append("rollback;\n");
                ids.clear();
                ids.addAll(before);
            }
            c.setAutoCommit(true);
        }

        /** Sets row 0's n to {@code round}, alone in a transaction. */
        void marker(int round) throws Exception {
            exec("insert into " + table + " values (0, " + round + ", null, null) on conflict (id) do update set n ="
                    + " excluded.n");
        }

        private void run(Op op) throws Exception {
            Integer x = pick(op.a());
            Integer free = free(op.b());
            String set = " where id = " + x;
            switch (op.kind()) {
                case INSERT -> {
                    if (free != null) {
                        exec("insert into " + table + " values (" + free + ", " + op.n() + ", "
                                + op.body().sql(false) + ", " + op.doc().sql(true) + ")");
                        ids.add(free);
                    }
                }
                case SET_N -> {
                    if (x != null) {
                        exec("update " + table + " set n = " + op.n() + set);
                    }
                }
                case SET_BODY -> {
                    if (x != null) {
                        exec("update " + table + " set body = " + op.body().sql(false) + set);
                    }
                }
                case SET_DOC -> {
                    if (x != null) {
                        exec("update " + table + " set doc = " + op.doc().sql(true) + set);
                    }
                }
                case REKEY, REKEY_SET_N -> {
                    if (x != null && free != null) {
                        exec("update " + table + " set id = " + free
                                + (op.kind() == Kind.REKEY_SET_N ? ", n = " + op.n() : "") + set);
                        ids.remove(x);
                        ids.add(free);
                    }
                }
                case DELETE -> {
                    if (x != null) {
                        exec("delete from " + table + set);
                        ids.remove(x);
                    }
                }
                case BULK ->
                    exec("update " + table + " set n = coalesce(n, 0) + 1 where id <> 0 and id % 3 = " + op.n() % 3);
                case SWAP -> {
                    Integer y = pick(op.b());
                    if (x != null && y != null && !x.equals(y)) {
                        exec("update " + table + " set id = -1" + set);
                        exec("update " + table + " set id = " + x + ", n = " + op.n() + " where id = " + y);
                        exec("update " + table + " set id = " + y + " where id = -1");
                    }
                }
                case TRUNCATE -> {
                    exec("truncate " + table);
                    ids.clear();
                }
            }
        }

        private Integer pick(int k) {
            if (ids.isEmpty()) {
                return null;
            }
            return new ArrayList<>(ids).get(k % ids.size());
        }

        private Integer free(int k) {
            List<Integer> free = new ArrayList<>();
            for (int i = 1; i <= MAX_ID; i++) {
                if (!ids.contains(i)) {
                    free.add(i);
                }
            }
            return free.isEmpty() ? null : free.get(k % free.size());
        }

        void exec(String sql) throws Exception {
            transcript
                    .append(sql.replaceAll(
                            "\\(select string_agg\\(md5\\((\\d+)[^)]*\\)[^)]*\\)[^)]*\\)[^)]*\\)", "big($1)"))
                    .append(";\n");
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            }
        }

        /** Postgres' rows, by id. */
        List<Image> rows() throws Exception {
            List<Image> out = new ArrayList<>();
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("select id, n, body, doc::text from " + table + " order by id")) {
                while (r.next()) {
                    String doc = r.getString(4);
                    out.add(new Image(
                            r.getInt(1),
                            String.valueOf(r.getObject(2)),
                            String.valueOf(r.getString(3)),
                            doc == null ? "null" : Json.MAPPER.readTree(doc).toString()));
                }
            }
            return out;
        }
    }

    /**
     * A row as comparable text of each column: {@code null} for SQL null, {@code <absent>} for a
     * column the delivered row lacks (an unchanged TOAST value never filled in). Long values are
     * shown as their length and hash.
     */
    record Image(int id, String n, String body, String doc) {
        static Image of(String id, JsonNode row) {
            return new Image(Integer.parseInt(id), text(row, "n"), text(row, "body"), text(row, "doc"));
        }

        private static String text(JsonNode row, String column) {
            JsonNode v = row.get(column);
            return v == null ? "<absent>" : v.isNull() ? "null" : v.isTextual() ? v.textValue() : v.toString();
        }

        @Override
        public String toString() {
            return id + "{n=" + n + ", body=" + shown(body) + ", doc=" + shown(doc) + "}";
        }

        private static String shown(String s) {
            return s.length() <= 24 ? s : "<" + s.length() + " chars #" + Integer.toHexString(s.hashCode()) + ">";
        }
    }
}
