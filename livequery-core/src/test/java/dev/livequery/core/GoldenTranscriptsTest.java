package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livequery.testkit.Oracle;
import dev.livequery.testkit.Replica;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The golden transcripts shared with the JS client (clients/js/test/unit/golden.test.mjs applies
 * the same file with {@code LiveQuery.apply}): the committed file is what the engine makes today,
 * and {@link Replica} reaches every recorded window.
 */
class GoldenTranscriptsTest {
    @Test
    void theCommittedFileIsAFreshGeneration() throws Exception {
        String fresh = GoldenTranscripts.generate(GoldenTranscripts.SEED);
        if (Boolean.getBoolean("livequery.golden.write")) {
            Files.createDirectories(GoldenTranscripts.FILE.getParent());
            Files.writeString(GoldenTranscripts.FILE, fresh, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(GoldenTranscripts.FILE))
                .as(
                        "%s is missing; write it with -Dlivequery.golden.write=true",
                        GoldenTranscripts.FILE.toAbsolutePath())
                .isTrue();
        assertThat(Files.readString(GoldenTranscripts.FILE, StandardCharsets.UTF_8))
                .as(
                        "seed %d: the engine's frames changed since %s was generated; if that is intended, regenerate it"
                                + " with -Dlivequery.golden.write=true and check the JS suite",
                        GoldenTranscripts.SEED, GoldenTranscripts.FILE)
                .isEqualTo(fresh);
        assertThat(fresh.length())
                .as("small enough to review and ship in the repository")
                .isLessThan(400_000);
    }

    @Test
    void theReplicaReachesEveryRecordedWindow() throws Exception {
        JsonNode file = GoldenTranscripts.tree(Files.readString(GoldenTranscripts.FILE, StandardCharsets.UTF_8));
        int frames = 0;
        int expects = 0;
        List<String> ops = new ArrayList<>();
        for (JsonNode t : file.get("transcripts")) {
            Replica replica = new Replica();
            int stepNo = 0;
            for (JsonNode step : t.get("steps")) {
                String where = "seed " + file.get("seed") + " " + t.get("name").textValue() + " step " + stepNo++ + " "
                        + step.get("do");
                JsonNode after = step.get("after");
                assertThat(after.size()).as(where).isEqualTo(step.get("frames").size());
                for (int i = 0; i < after.size(); i++) {
                    Frame f = FrameCodec.decode(step.get("frames").get(i));
                    WireFrames.apply(replica, f);
                    ops.add(f.op().wire());
                    List<String> want = new ArrayList<>();
                    after.get(i).forEach(x -> want.add(x.textValue()));
                    assertThat(replica.items().stream()
                                    .map(x -> x.id() + "@" + x.version())
                                    .toList())
                            .as(
                                    "%s, after frame %d %s",
                                    where, i, step.get("frames").get(i))
                            .isEqualTo(want);
                    frames++;
                }
                JsonNode expect = step.get("expect");
                if (!expect.isNull()) {
                    List<Replica.Item> items = replica.items();
                    JsonNode rows = expect.get("rows");
                    assertThat(items).as(where).hasSize(rows.size());
                    for (int i = 0; i < items.size(); i++) {
                        assertThat(items.get(i).id())
                                .as(where)
                                .isEqualTo(rows.get(i).get("id").textValue());
                        assertThat(items.get(i).version())
                                .as(where)
                                .isEqualTo(rows.get(i).get("version").longValue());
                        assertThat(Oracle.sameJson(
                                        items.get(i).row(), rows.get(i).get("row")))
                                .as("%s: row %s", where, items.get(i).id())
                                .isTrue();
                    }
                    expects++;
                }
            }
        }
        // the transcripts must exercise every splice op, or they prove little
        assertThat(ops).contains("reset", "enter", "leave", "update", "move", "ready");
        assertThat(frames).isGreaterThan(200);
        assertThat(expects).isGreaterThan(100);
    }
}
