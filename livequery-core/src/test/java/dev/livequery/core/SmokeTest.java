package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.*;
import org.junit.jupiter.api.Test;

class SmokeTest {
    static List<String> apply(List<String> replica, Frame f) {
        switch (f.op()) {
            case RESET -> replica.clear();
            case ENTER -> replica.add(f.newIndex(), f.id());
            case LEAVE -> { assertThat(replica.get(f.oldIndex())).isEqualTo(f.id()); replica.remove(f.oldIndex()); }
            case UPDATE -> assertThat(replica.get(f.newIndex())).isEqualTo(f.id());
            case MOVE -> { assertThat(replica.get(f.oldIndex())).isEqualTo(f.id()); replica.remove(f.oldIndex()); replica.add(f.newIndex(), f.id()); }
            default -> { }
        }
        return replica;
    }

    @Test
    void randomOps() throws Exception {
        for (int seed = 0; seed < 300; seed++) {
            Random rnd = new Random(seed);
            LocalBackend b = new LocalBackend(EngineOptions.defaults().withMaxQueued(1 + rnd.nextInt(50)));
            Query q = Query.parse(Json.MAPPER.readTree("{\"table\":\"t\",\"where\":{\"g\":{\"lt\":3}},\"order\":[{\"field\":\"p\",\"dir\":\"desc\"}],\"limit\":" + (1 + rnd.nextInt(5)) + "}"));
            Subscription s = b.subscribe(q, null, () -> { });
            List<String> replica = new ArrayList<>();
            Map<String, List<String>> byEid = new HashMap<>();
            List<String> eids = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String id = "r" + rnd.nextInt(10);
                int op = rnd.nextInt(10);
                if (op < 7) {
                    ObjectNode row = Json.MAPPER.createObjectNode();
                    row.put("g", rnd.nextInt(4));
                    row.put("p", rnd.nextInt(5));
                    b.put("t", id, row, null);
                } else {
                    try { b.delete("t", id, null); } catch (LiveQueryException e) { }
                }
                if (rnd.nextInt(4) == 0) {
                    List<Frame> fs = new ArrayList<>();
                    s.drain(fs, 1 + rnd.nextInt(20));
                    for (Frame f : fs) {
                        apply(replica, f);
                        if (f.eid() != null) { byEid.put(f.eid(), new ArrayList<>(replica)); eids.add(f.eid()); }
                    }
                }
                if (rnd.nextInt(15) == 0 && !eids.isEmpty()) {
                    // drop and resume from a random earlier eid
                    s.close();
                    String e = eids.get(rnd.nextInt(eids.size()));
                    replica = new ArrayList<>(byEid.get(e));
                    s = b.subscribe(q, e, () -> { });
                    List<Frame> fs = new ArrayList<>();
                    s.drain(fs, 10_000);
                    assertThat(fs.get(0).op()).as("seed %d resume", seed).isNotEqualTo(Frame.Op.RESET);
                    for (Frame f : fs) {
                        apply(replica, f);
                        if (f.eid() != null) { byEid.put(f.eid(), new ArrayList<>(replica)); eids.add(f.eid()); }
                    }
                }
            }
            List<Frame> fs = new ArrayList<>();
            while (s.drain(fs, 100) > 0) { }
            for (Frame f : fs) apply(replica, f);
            List<String> truth = new ArrayList<>();
            b.query(q).rows().forEach(r -> truth.add(r.id()));
            assertThat(replica).as("seed %d", seed).isEqualTo(truth);
        }
    }
}
