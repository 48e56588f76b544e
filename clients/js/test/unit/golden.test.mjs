// The golden transcripts the Java engine exported (testdata/golden/transcripts.json, written and
// checked by livequery-core's GoldenTranscriptsTest): applying the same frames with
// LiveQuery.apply must give the same window after every frame and the engine's own one-shot
// answer at the end of every step that left nothing queued — so both sides agree on PROTOCOL §3.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LiveQuery } from "../../dist/index.js";

const file = JSON.parse(readFileSync(new URL("../../../../testdata/golden/transcripts.json", import.meta.url), "utf8"));

test("the golden transcripts cover every splice op", () => {
  const ops = new Set(file.transcripts.flatMap(t => t.steps.flatMap(s => s.frames.map(f => f.op))));
  assert.deepEqual([...ops].sort(), ["enter", "leave", "move", "ready", "reset", "update"]);
});

for (const t of file.transcripts) {
  test(`golden transcript ${t.name} (seed ${file.seed}): LiveQuery.apply reaches every recorded window`, () => {
    const rows = [];
    let checked = 0;
    t.steps.forEach((step, n) => {
      const where = `seed ${file.seed} ${t.name} step ${n} ${JSON.stringify(step.do)}`;
      assert.equal(step.after.length, step.frames.length, where);
      step.frames.forEach((frame, i) => {
        const out = LiveQuery.apply(rows, frame);
        assert.equal(out, rows, "apply splices in place and returns the array");
        assert.deepEqual(rows.map(r => `${r.id}@${r.version}`), step.after[i], `${where}, after frame ${i} ${JSON.stringify(frame)}`);
        checked++;
      });
      if (step.expect) {
        assert.deepEqual(rows.map(r => ({ id: r.id, version: r.version, row: r.row })), step.expect.rows, `${where}: the engine's one-shot window`);
        for (const r of rows) assert.equal(typeof r.cursor, "string", `${where}: every entry keeps its cursor`);
        checked++;
      }
    });
    assert.ok(checked > 0, "the transcript had something to check");
  });
}
