import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveQuery, LiveQueryError, SubscriptionError, applyFrame } from "../../dist/index.js";
import { FakeTimers, fakeSocketClass, snapshotFrames, MemoryStorage } from "../support/fakes.mjs";

function client(opts = {}) {
  const timers = new FakeTimers();
  const { FakeSocket, sockets } = fakeSocketClass();
  const lq = new LiveQuery("ws://gw.test/v1/ws", { WebSocket: FakeSocket, timers, random: () => 0.5,
    events: new EventTarget(), document: Object.assign(new EventTarget(), { hidden: false }), ...opts });
  return { lq, timers, sockets, last: () => sockets[sockets.length - 1] };
}

test("splice semantics: each index is relative to the window the previous frame left", () => {
  const w = [];
  const e = (id, i) => ({ op: "enter", id, version: 1, row: { id }, cursor: "c" + id, new_index: i });
  for (const f of [{ op: "reset" }, e("a", 0), e("c", 1), e("b", 1),
    { op: "move", id: "a", version: 2, row: { id: "a", x: 1 }, cursor: "ca2", old_index: 0, new_index: 2 },
    { op: "update", id: "b", version: 2, row: { id: "b", y: 1 }, cursor: "cb", new_index: 0 },
    { op: "leave", id: "c", version: 1, old_index: 1 }]) applyFrame(w, f);
  assert.deepEqual(w.map(x => [x.id, x.version]), [["b", 2], ["a", 2]]);
  assert.ok(Object.isFrozen(w[0]));
});

test("frames of one burst reach onChange once, with the frames it applied", () => {
  const c = client();
  const calls = [];
  const s = c.lq.subscribe({ table: "t" }, { onChange: (rows, frames) => calls.push([rows.map(r => r.id), frames.map(f => f.op)]) });
  c.last().open();
  for (const f of snapshotFrames("s1", 3)) c.last().frame(f);
  assert.equal(calls.length, 0, "nothing before the batch is flushed");
  c.timers.advance(0);
  assert.deepEqual(calls, [[["r0", "r1", "r2"], ["reset", "enter", "enter", "enter", "ready"]]]);
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(s.hasMoreAfter, true);
});

test("frames are published at once when too many wait for a batch that does not come (a background tab)", () => {
  const c = client({ schedule: () => {} }); // never runs, like an animation frame in a hidden tab
  const changes = [];
  const s = c.lq.subscribe({ table: "t", limit: 1 }, { onChange: rows => changes.push(rows[0]?.version) });
  c.last().open();
  for (const f of snapshotFrames("s1", 1)) c.last().frame(f);
  for (let v = 2; v <= 5000; v++) {
    c.last().frame({ op: "update", sub: "s1", id: "r0", version: v, row: { id: "r0", n: v }, cursor: "c0", new_index: 0, eid: "u" + v });
  }
  assert.ok(changes.length >= 4 && changes.length <= 5, "published in a few large batches: " + changes.length);
  assert.ok(s.getSnapshot().rows[0].version > 5000 - 1000, "at most a cap's worth unpublished: " + s.getSnapshot().rows[0].version);
});

test("the default scheduler: one animation frame, or a timer when none comes (the tab was hidden meanwhile)", async () => {
  const { animationFrames } = await import("../../dist/scheduler.js");
  const timers = new FakeTimers();
  const frames = [];
  const doc = { hidden: false };
  const schedule = animationFrames(fn => frames.push(fn), doc, timers);
  let ran = 0;
  schedule(() => ran++);
  assert.equal(frames.length, 1);
  frames.shift()(); // a visible tab paints
  assert.equal(ran, 1);
  timers.advance(1000);
  assert.equal(ran, 1, "the fallback timer does not run it again");
  schedule(() => ran++);
  doc.hidden = true; // hidden before the frame: a browser runs no animation frame now
  timers.advance(99);
  assert.equal(ran, 1);
  timers.advance(1);
  assert.equal(ran, 2, "published by the timer");
  frames.shift()(); // the frame runs when the tab is shown again: nothing twice
  assert.equal(ran, 2);
  schedule(() => ran++);
  assert.equal(frames.length, 0, "hidden: no animation frame asked for");
  timers.advance(16);
  assert.equal(ran, 3);
});

test("a snapshot is frozen, stays the same object until the next batch, and old ones never change", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t" });
  let notified = 0;
  s.subscribe(() => notified++);
  c.last().open();
  for (const f of snapshotFrames("s1", 2)) c.last().frame(f);
  c.timers.advance(0);
  const first = s.getSnapshot();
  assert.equal(s.getSnapshot(), first);
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.rows) && Object.isFrozen(first.rows[0]));
  const before = JSON.stringify(first);
  c.last().frame({ op: "update", sub: "s1", id: "r0", version: 2, row: { id: "r0", n: 9 }, cursor: "c0", new_index: 0, eid: "x1" });
  c.last().frame({ op: "leave", sub: "s1", id: "r1", version: 2, old_index: 1, eid: "x2" });
  assert.equal(s.getSnapshot(), first, "applied but not yet published");
  c.timers.advance(0);
  const second = s.getSnapshot();
  assert.notEqual(second, first);
  assert.equal(JSON.stringify(first), before);
  assert.deepEqual(second.rows.map(r => [r.id, r.version]), [["r0", 2]]);
  assert.deepEqual(second.frames.map(f => f.op), ["update", "leave"]);
  assert.equal(second.frames[0].live, true, "a change while in sync is live (what a UI highlights)");
  assert.ok(notified >= 2);
});

test("the frames a resume brings are live changes; those of a reanchor it carries are not", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  c.last().open();
  for (const f of snapshotFrames("s1", 2)) c.last().frame(f);
  c.timers.advance(0);
  const reconnect = () => { c.last().serverClose(1006); c.timers.advance(c.timers.pending()[0]); c.last().open(); };
  reconnect();
  c.last().frame({ op: "leave", sub: "s1", id: "r0", version: 2, old_index: 0, eid: "x1" });
  c.timers.advance(0);
  assert.equal(s.getSnapshot().frames[0].live, true, "missed while offline");
  c.last().frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: true, resumed: true, eid: "x2" });
  c.timers.advance(0);
  c.last().serverClose(1006);
  s.reanchor({ limit: 3 }); // made offline: the resubscribe carries it
  c.timers.advance(c.timers.pending()[0]);
  c.last().open();
  assert.equal(c.last().sentOf("subscribe")[0].query.limit, 3);
  c.last().frame({ op: "enter", sub: "s1", id: "r2", version: 1, row: { id: "r2" }, cursor: "c2", new_index: 1, eid: "x3" });
  c.timers.advance(0);
  assert.equal(s.getSnapshot().frames[0].live, false);
  c.lq.close();
});

test("status frames: stale, then live", () => {
  const c = client();
  const seen = [];
  const s = c.lq.subscribe({ table: "t" }, { onStatus: st => seen.push(st) });
  c.last().open();
  for (const f of snapshotFrames("s1", 1)) c.last().frame(f);
  c.last().frame({ op: "status", sub: "s1", state: "stale" });
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "stale");
  c.last().frame({ op: "status", sub: "s1", state: "live" });
  c.timers.advance(0);
  assert.deepEqual(seen, ["stale", "live"]);
});

test("stale ends with the connection it was told on: a resubscribe on a new socket is live at its ready", () => {
  const c = client();
  const seen = [];
  const s = c.lq.subscribe({ table: "t", limit: 2 }, { onStatus: st => seen.push(st) });
  let ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  ws.frame({ op: "status", sub: "s1", state: "stale" });
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "stale");
  ws.serverClose(1006);
  c.timers.advance(1000);
  ws = c.last();
  ws.open();
  // the new gateway serves the window: it has no reason to send status live
  ws.frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: false, resumed: true, eid: "x" });
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  assert.deepEqual(seen, ["stale", "live"]);
});

test("whenReady resolves at ready and rejects when the subscribe fails", async () => {
  const c = client();
  const ok = c.lq.subscribe({ table: "t" });
  const bad = c.lq.subscribe({ table: "u" });
  const p1 = ok.whenReady(), p2 = bad.whenReady();
  c.last().open();
  for (const f of snapshotFrames("s1", 1)) c.last().frame(f);
  c.last().frame({ op: "error", sub: "s2", code: "forbidden", message: "no" });
  c.timers.advance(0);
  assert.equal((await p1).op, "ready");
  await assert.rejects(p2, e => e.code === "forbidden");
});

test("whenReady while syncing hands every caller one promise, not a waiter per call", async () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t" });
  const first = s.whenReady();
  for (let i = 0; i < 1000; i++) assert.equal(s.whenReady(), first, "a render loop calling it holds no more than one");
  c.last().open();
  for (const f of snapshotFrames("s1", 1)) c.last().frame(f);
  c.timers.advance(0);
  assert.equal((await first).op, "ready");
  s.reanchor({ limit: 5 });
  const again = s.whenReady();
  assert.notEqual(again, first, "a new sync, a new promise");
  assert.equal(s.whenReady(), again);
  c.last().frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: false, resumed: false, eid: "x" });
  c.timers.advance(0);
  assert.equal((await again).eid, "x");
});

test("whenReady rejects with an Error (SubscriptionError) carrying the code and message", async () => {
  const c = client();
  const bad = c.lq.subscribe({ table: "u" });
  const closed = c.lq.subscribe({ table: "v" });
  const waiting = bad.whenReady(), closing = closed.whenReady();
  c.last().open();
  c.last().frame({ op: "error", sub: "s1", code: "forbidden", message: "no access to u" });
  closed.close();
  c.timers.advance(0);
  for (const p of [waiting, bad.whenReady()]) {
    await assert.rejects(p, e => e instanceof Error && e instanceof LiveQueryError && e instanceof SubscriptionError
      && e.code === "forbidden" && e.message === "no access to u" && e.frame.sub === "s1" && e.status === 0 && !!e.stack);
  }
  for (const p of [closing, closed.whenReady()]) {
    await assert.rejects(p, e => e instanceof SubscriptionError && e.code === "closed" && e.frame === null);
  }
});

test("persist: a new client paints the saved window at once and resumes from its eid", () => {
  const storage = new MemoryStorage();
  const q = { table: "t", order: [{ field: "n" }], limit: 3 };
  const c1 = client({ storage });
  const s1 = c1.lq.subscribe(q, {}, { persist: true });
  c1.last().open();
  for (const f of snapshotFrames("s1", 3)) c1.last().frame(f);
  c1.timers.advance(0);
  s1.reanchor({ limit: 5 });
  for (const f of snapshotFrames("s1", 2, { start: 3, eidPrefix: "g" }).slice(1, -1)) c1.last().frame({ ...f, new_index: f.new_index + 3 });
  c1.last().frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: false, resumed: false, eid: "g-ready" });
  c1.timers.advance(0);

  // "reload": a new client with the same storage
  const c2 = client({ storage });
  const s2 = c2.lq.subscribe(q, {}, { persist: true });
  assert.deepEqual(s2.getSnapshot().rows.map(r => r.id), ["r0", "r1", "r2", "r3", "r4"], "painted before any frame");
  assert.equal(s2.getSnapshot().status, "syncing");
  c2.last().open();
  assert.deepEqual(c2.last().sentOf("subscribe")[0], { action: "subscribe", sub: "s1", query: { ...q, limit: 5 }, resume: "g-ready" });
  c2.last().frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: false, resumed: true, eid: "h1" });
  c2.timers.advance(0);
  assert.equal(s2.getSnapshot().status, "live");
  assert.equal(s2.resets, 0);
});

test("persist: subscriptions of one shape with different windows are saved apart", () => {
  const storage = new MemoryStorage();
  const top = { table: "t", order: [{ field: "n" }], limit: 2 };
  const later = { table: "t", order: [{ field: "n" }], limit: 3, after: "c10" };
  const c1 = client({ storage });
  c1.lq.subscribe(top, {}, { persist: true });
  c1.lq.subscribe(later, {}, { persist: true });
  c1.last().open();
  for (const f of snapshotFrames("s1", 2)) c1.last().frame(f);
  for (const f of snapshotFrames("s2", 3, { start: 11, eidPrefix: "b" })) c1.last().frame(f);
  c1.timers.advance(0);
  const c2 = client({ storage });
  const a = c2.lq.subscribe(top, {}, { persist: true });
  const b = c2.lq.subscribe(later, {}, { persist: true });
  assert.deepEqual(a.query, top);
  assert.deepEqual(a.getSnapshot().rows.map(r => r.id), ["r0", "r1"]);
  assert.deepEqual(b.query, later);
  assert.deepEqual(b.getSnapshot().rows.map(r => r.id), ["r11", "r12", "r13"]);
  c2.last().open();
  assert.deepEqual(c2.last().sentOf("subscribe").map(m => m.resume), ["er", "br"]);
});

test("persist ignores a saved window that does not parse", () => {
  const storage = new MemoryStorage();
  const c = client({ storage });
  const q = { table: "t" };
  storage.setItem("livequery:ws://gw.test/v1/ws:" + JSON.stringify(["t", null, null, null, null, null]), "{not json");
  const s = c.lq.subscribe(q, {}, { persist: true });
  assert.equal(s.getSnapshot().rows.length, 0);
  c.last().open();
  assert.equal(c.last().sentOf("subscribe")[0].resume, undefined);
});

test("readable(): the Svelte store contract over a subscription", async () => {
  const { readable } = await import("../../dist/store.js");
  const c = client();
  const s = c.lq.subscribe({ table: "t" });
  const seen = [];
  const stop = readable(s).subscribe(snap => seen.push(snap.rows.length));
  c.last().open();
  for (const f of snapshotFrames("s1", 2)) c.last().frame(f);
  c.timers.advance(0);
  stop();
  c.last().frame({ op: "leave", sub: "s1", id: "r0", version: 2, old_index: 0 });
  c.timers.advance(0);
  assert.deepEqual(seen, [0, 2]);
});

test("an optimistic overlay goes when its row leaves the window, also by a reset whose snapshot lacks it", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 3 });
  const ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 3)) ws.frame(f);
  c.timers.advance(0);
  // writes confirmed at versions no frame has brought yet
  s.overlay("r0", { id: "r0", n: 100 });
  s.confirm("r0", 5);
  s.overlay("r1", { id: "r1", n: 101 });
  s.confirm("r1", 5);
  assert.equal(s.overlays.size, 2);
  // r0 leaves live (at the version it had); r1 is not in the snapshot after a reset
  ws.frame({ op: "leave", sub: "s1", id: "r0", version: 1, old_index: 0 });
  ws.frame({ op: "reset", sub: "s1", cause: "resume_miss" });
  for (const f of snapshotFrames("s1", 1, { start: 2, eidPrefix: "g" }).slice(1)) ws.frame(f);
  c.timers.advance(0);
  assert.deepEqual(s.rows.map(e => e.id), ["r2"]);
  assert.equal(s.overlays.size, 0, "no overlay is kept for a row the window does not hold");
  // back in the window at an older version: the server's row shows, not the old optimistic one
  ws.frame({ op: "enter", sub: "s1", id: "r1", version: 1, row: { id: "r1", n: 1 }, cursor: "c1", new_index: 0, eid: "h1" });
  c.timers.advance(0);
  assert.deepEqual(s.rows.map(e => [e.id, e.row.n, !!e.pending]), [["r1", 1, false], ["r2", 2, false]]);
});
