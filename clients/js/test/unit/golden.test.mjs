// The golden transcripts the Java engine exported (testdata/golden/transcripts.json, written and
// checked by livequery-core's GoldenTranscriptsTest): applying the same frames with
// LiveQuery.apply must give the same window after every frame and the engine's own one-shot
// answer at the end of every step that left nothing queued — so both sides agree on PROTOCOL §3.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LiveQuery } from "../../dist/index.js";
import { FakeTimers, fakeSocketClass } from "../support/fakes.mjs";

const file = JSON.parse(readFileSync(new URL("../../../../testdata/golden/transcripts.json", import.meta.url), "utf8"));

test("the golden transcripts cover every splice op", () => {
  const ops = new Set(file.transcripts.flatMap(t => t.steps.flatMap(s => s.frames.map(f => f.op))));
  assert.deepEqual([...ops].sort(), ["enter", "leave", "move", "ready", "reset", "update"]);
});

for (const t of file.transcripts) {
  test(`golden transcript ${t.name} (seed ${file.seed}): LiveQuery.apply reaches every recorded window`, () => {
    const rows = [];
    let checked = 0;
    const due = []; // the transcript's reanchor messages so far
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

// The same transcripts through the whole client: a subscription on a fake socket that the test
// feeds the recorded frames (a step's frames as one burst), reanchors as the transcript did and
// drops the connection where the transcript resumed: the client must resume from the eid the
// engine was given, and its published snapshots must be the recorded windows. The client sends a
// reanchor only once the one before is answered, so where the transcript read a reanchor's ready
// only after the next reanchor, the client sends that one when the ready comes. Where a reset's
// snapshot ends while a reanchor is in flight (t11: an overflow that replaced the reanchor's splice),
// the client subscribes again under a new sub id: the recorded frames go on under that id.
function fakeClient() {
  const timers = new FakeTimers();
  const { FakeSocket, sockets } = fakeSocketClass();
  const lq = new LiveQuery("ws://gw.test/v1/ws", { WebSocket: FakeSocket, timers, random: () => 0.5,
    events: new EventTarget(), document: Object.assign(new EventTarget(), { hidden: false }) });
  return { lq, timers, sockets, last: () => sockets[sockets.length - 1] };
}

for (const t of file.transcripts) {
  test(`golden transcript ${t.name} (seed ${file.seed}) through a subscription: same windows, resumes from the same eids`, () => {
    const c = fakeClient();
    const sub = c.lq.subscribe(t.query);
    c.last().open();
    assert.deepEqual(c.last().sentOf("subscribe"), [{ action: "subscribe", sub: "s1", query: t.query }]);
    let checked = 0;
    const due = []; // the transcript's reanchor messages so far
    t.steps.forEach((step, n) => {
      const where = `seed ${file.seed} ${t.name} step ${n} ${JSON.stringify(step.do)}`;
      if (step.do.do === "reanchor") {
        const change = { limit: step.do.limit };
        if ("before" in step.do) change.before = step.do.before; else change.after = step.do.after;
        sub.reanchor(change);
        due.push({ action: "reanchor", ...change });
      } else if (step.do.do === "resume") {
        c.last().serverClose(1006);
        c.timers.advance(1_000);
        c.last().open();
        const again = c.last().sentOf("subscribe");
        assert.equal(again.length, 1, where);
        assert.equal(again[0].resume, step.do.eid, `${where}: the client resumes from the eid the engine was given`);
      }
      for (const f of step.frames) c.last().frame({ ...f, sub: sub.name });
      c.timers.advance(0);
      const sent = c.sockets.flatMap(ws => ws.sentOf("reanchor")).map(({ sub, ...m }) => m);
      assert.deepEqual(sent, due.slice(0, sent.length), `${where}: the reanchors sent`);
      assert.ok(sent.length >= due.length - 1, `${where}: at most one waits for the ready of the one before`);
      const rows = sub.getSnapshot().rows;
      if (step.frames.length) {
        assert.deepEqual(rows.map(r => `${r.id}@${r.version}`), step.after.at(-1), `${where}: the published window`);
        checked++;
      }
      if (step.expect) {
        assert.deepEqual(rows.map(r => ({ id: r.id, version: r.version, row: r.row })), step.expect.rows, `${where}: the engine's one-shot window`);
        checked++;
      }
    });
    assert.ok(checked > 0);
    c.lq.close();
  });
}
