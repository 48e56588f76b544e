package dev.livequery.sources.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.sources.postgres.Transactions.Pending;
import dev.livequery.testkit.Gen;
import dev.livequery.testkit.Property;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link RowResolver} against a brute-force model: random shares of changes as Debezium sends
 * them (an update leaving the TOASTed column {@code b} unchanged lacks it; a key change is a
 * delete of the old key and the new row naming it; truncates), over rows that were there before
 * or over an empty table (the transaction folded into an empty snapshot). The net rows, laid over
 * the rows before, and the changes told in order, applied one by one (as embedded mode does), must
 * both give the table the model holds at the end, every column filled.
 */
class RowResolverTest {
    enum Kind {
        UPSERT,
        UPDATE_KEEPING_B,
        REKEY_KEEPING_B,
        DELETE,
        TRUNCATE
    }

    record Op(Kind kind, int a, int b, int v) {}

    record Share(boolean empty, List<Integer> before, List<Op> ops) {}

    static final Gen<Share> SHARES = s -> new Share(
            s.bool(),
            Gen.ints(0, 9).list(0, 6).generate(s),
            ((Gen<Op>) x -> new Op(
                            Kind.values()[x.weighted(3, 4, 3, 2, 1)],
                            x.between(0, 9),
                            x.between(0, 9),
                            x.between(0, 99)))
                    .list(0, 12)
                    .generate(s));

    @Test
    void netRowsAndOrderedChangesBothGiveTheModelsTable() {
        Property.forAll(SHARES).tries(2000).check(share -> {
            Map<String, ObjectNode> before = new TreeMap<>();
            if (!share.empty()) {
                for (int i : share.before()) {
                    before.put("r" + i, row("r" + i, i, "b" + i));
                }
            }
            Map<String, ObjectNode> model = copy(before);
            List<Pending> pending = new ArrayList<>();
            for (Op op : share.ops()) {
                String id = "r" + op.a();
                String to = "r" + op.b();
                switch (op.kind()) {
                    case UPSERT -> {
                        model.put(id, row(id, op.v(), "x" + op.v()));
                        pending.add(new Pending(id, row(id, op.v(), "x" + op.v()), List.of(), false));
                    }
                    case UPDATE_KEEPING_B -> {
                        if (model.containsKey(id)) {
                            model.put(id, row(id, op.v(), model.get(id).get("b").textValue()));
                            pending.add(new Pending(id, lacking(id, op.v()), List.of("b"), false));
                        }
                    }
                    case REKEY_KEEPING_B -> {
                        if (model.containsKey(id) && !model.containsKey(to)) {
                            ObjectNode was = model.remove(id);
                            model.put(to, row(to, op.v(), was.get("b").textValue()));
                            pending.add(new Pending(id, null, List.of(), false));
                            pending.add(new Pending(to, lacking(to, op.v()), List.of("b"), false, id));
                        }
                    }
                    case DELETE -> {
                        if (model.remove(id) != null) {
                            pending.add(new Pending(id, null, List.of(), false));
                        }
                    }
                    case TRUNCATE -> {
                        model.clear();
                        pending.add(new Pending(null, null, List.of(), true));
                    }
                }
            }
            Map<String, ObjectNode> applied = copy(before);
            boolean[] truncated = {false};
            Map<String, ObjectNode> net = RowResolver.resolve(
                    pending,
                    share.empty() ? RowResolver.EMPTY : before::get,
                    new RowResolver.Sink() {
                        @Override
                        public void truncate() {
                            applied.clear();
                            truncated[0] = true;
                        }

                        @Override
                        public void delete(String id) {
                            applied.remove(id);
                        }

                        @Override
                        public void upsert(String id, ObjectNode row) {
                            applied.put(id, row.deepCopy());
                        }
                    },
                    new java.util.LinkedHashMap<>());
            Map<String, ObjectNode> laid = truncated[0] ? new TreeMap<>() : copy(before);
            net.forEach((id, row) -> {
                if (row == null) {
                    laid.remove(id);
                } else {
                    laid.put(id, row);
                }
            });
            assertThat(applied).as("the changes applied in order").isEqualTo(model);
            assertThat(laid).as("the net rows over the rows before").isEqualTo(model);
        });
    }

    static ObjectNode row(String id, int n, String b) {
        return Json.MAPPER.createObjectNode().put("id", id).put("n", n).put("b", b);
    }

    static ObjectNode lacking(String id, int n) {
        return Json.MAPPER.createObjectNode().put("id", id).put("n", n);
    }

    static Map<String, ObjectNode> copy(Map<String, ObjectNode> rows) {
        Map<String, ObjectNode> out = new TreeMap<>();
        rows.forEach((id, r) -> out.put(id, r.deepCopy()));
        return out;
    }
}
