import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveQuery } from "../../dist/index.js";
import { LiveVirtualWindow, anchorShift } from "../../dist/virtual.js";
import { FakeTimers, fakeSocketClass, snapshotFrames } from "../support/fakes.mjs";

test("anchorShift counts live rows entering and leaving above the first visible row", () => {
  const e = (i) => ({ op: "enter", live: true, new_index: i });
  const l = (i) => ({ op: "leave", live: true, old_index: i });
  const m = (o, n) => ({ op: "move", live: true, old_index: o, new_index: n });
  assert.equal(anchorShift([e(0), e(1)], 5), 2);
  assert.equal(anchorShift([e(6), e(9)], 5), 0, "below the visible row: nothing moves");
  assert.equal(anchorShift([e(5)], 5), 1, "at its index: the new row goes above it");
  assert.equal(anchorShift([l(5)], 5), 0, "the visible row itself leaves: the next takes its place");
  assert.equal(anchorShift([l(0)], 5), -1);
  assert.equal(anchorShift([m(8, 1)], 5), 1, "moved from below to above");
  assert.equal(anchorShift([m(1, 8)], 5), -1);
  assert.equal(anchorShift([m(1, 2)], 5), 0);
  assert.equal(anchorShift([{ ...e(0), live: false }], 5), 0, "snapshot and reanchor frames are not live changes");
  // indexes are relative to the window the previous frame left: leave 0 moves the visible row to 4
  assert.equal(anchorShift([l(0), e(4)], 5), 0);
});

/** A client whose server the test plays: it answers reanchors from a table of `total` rows (`all`, which the test may change). */
function served(total, limit) {
  const timers = new FakeTimers();
  const { FakeSocket, sockets } = fakeSocketClass();
  const lq = new LiveQuery("ws://gw.test/v1/ws", { WebSocket: FakeSocket, timers, random: () => 0.5,
    events: new EventTarget(), document: Object.assign(new EventTarget(), { hidden: false }) });
  const sub = lq.subscribe({ table: "t", order: [{ field: "n" }], limit });
  const ws = sockets[0];
  ws.open();
  const all = Array.from({ length: total }, (_, i) => ({ id: "r" + i, cursor: "c" + i }));
  let win = [];
  const send = next => {
    // splice from win to next: leave everything not kept, enter the rest (a valid, if not minimal, diff)
    for (let i = win.length - 1; i >= 0; i--) ws.frame({ op: "leave", sub: "s1", id: win[i].id, version: 1, old_index: i });
    next.forEach((r, i) => ws.frame({ op: "enter", sub: "s1", id: r.id, version: 1, row: { id: r.id }, cursor: r.cursor, new_index: i }));
    win = next;
    const first = all.indexOf(next[0]);
    ws.frame({ op: "ready", sub: "s1", has_more_before: first > 0, has_more_after: first + next.length < all.length, resumed: false });
    timers.advance(0);
  };
  ws.frame({ op: "reset", sub: "s1", cause: "subscribe" });
  send(all.slice(0, limit));
  const answer = () => {
    const m = ws.sent.at(-1);
    if (m.action !== "reanchor") return false;
    ws.sent.push({ action: "answered" });
    const q = sub.query;
    let from = 0;
    if (q.after) from = all.findIndex(r => r.cursor === q.after) + 1;
    if (q.before) from = Math.max(0, all.findIndex(r => r.cursor === q.before) - q.limit);
    const to = q.before ? all.findIndex(r => r.cursor === q.before) : from + q.limit;
    send(all.slice(from, Math.min(to, all.length)));
    return true;
  };
  return { sub, answer, all };
}

test("scrolling down grows the window to max, then slides it; scrolling back up slides it up to the top", () => {
  const { sub, answer } = served(1000, 50);
  const list = new LiveVirtualWindow(sub, { page: 50, max: 150 });
  const scrollTo = (start, size = 20) => {
    for (let i = 0; i < 50; i++) {
      list.onRange(start, start + size);
      if (!answer()) return;
    }
  };
  scrollTo(40);
  assert.equal(list.getSnapshot().rows.length, 100);
  scrollTo(90);
  assert.equal(list.getSnapshot().rows.length, 150);
  assert.equal(list.getSnapshot().offset, 0);
  scrollTo(600);
  const s = list.getSnapshot();
  assert.ok(s.offset <= 600 && s.offset + s.rows.length >= 620, JSON.stringify({ offset: s.offset, n: s.rows.length }));
  assert.equal(list.item(600).id, "r600", "absolute indexes name the right rows after slides");
  assert.ok(s.count > 620 && s.count <= s.offset + s.rows.length + 1);
  scrollTo(0);
  assert.equal(list.getSnapshot().offset, 0);
  assert.equal(list.item(0).id, "r0");
  assert.equal(list.item(10).id, "r10");
});

test("while a reanchor is under way the list keeps the last window in sync", () => {
  const { sub, answer } = served(1000, 50);
  const list = new LiveVirtualWindow(sub, { page: 50, max: 100 });
  list.onRange(40, 60);
  answer();
  list.onRange(90, 99); // slide
  const before = list.getSnapshot();
  assert.equal(sub.getSnapshot().status, "syncing");
  assert.equal(list.getSnapshot(), before);
  answer();
  assert.notEqual(list.getSnapshot(), before);
  assert.equal(list.item(95).id, "r95");
});

test("rows added above a slid window (a feed, newest first): scrolling up reaches the top, and the numbering never ends at 0 with rows before", () => {
  const { sub, answer, all } = served(1000, 50);
  const list = new LiveVirtualWindow(sub, { page: 50, max: 150 });
  let pos = 0; // the first visible index of a scroller that applies every shift, as useLiveVirtualizer does
  const topWithMore = [];
  list.subscribe(() => {
    const w = list.getSnapshot();
    pos = Math.max(0, pos + w.shift);
    if (w.offset === 0 && w.hasMoreBefore) topWithMore.push(w.rows[0].id);
  });
  const scrollTo = start => {
    pos = start;
    for (let i = 0; i < 50; i++) {
      list.onRange(pos, pos + 20);
      if (!answer()) return;
    }
  };
  scrollTo(40); scrollTo(90); scrollTo(600);
  assert.equal(list.item(600).id, "r600");
  // 400 rows come in at the top of the order, above the window: its frames say nothing of them
  all.unshift(...Array.from({ length: 400 }, (_, i) => ({ id: "new" + i, cursor: "cn" + i })));
  // the user scrolls back up, 10 rows at a time, until the top
  for (let i = 0; i < 1000 && (pos > 0 || list.getSnapshot().hasMoreBefore); i++) scrollTo(Math.max(0, pos - 10));
  assert.deepEqual(topWithMore, [], "offset 0 while the server says there are rows before");
  const s = list.getSnapshot();
  assert.equal(s.hasMoreBefore, false);
  assert.equal(s.offset, 0);
  assert.equal(list.item(0).id, "new0");
});

/** A client on a fake socket, its subscription in sync with rows r0…r(n-1). */
function synced(n) {
  const timers = new FakeTimers();
  const { FakeSocket, sockets } = fakeSocketClass();
  const lq = new LiveQuery("ws://gw.test/v1/ws", { WebSocket: FakeSocket, timers, random: () => 0.5,
    events: new EventTarget(), document: Object.assign(new EventTarget(), { hidden: false }) });
  const sub = lq.subscribe({ table: "t", limit: n });
  sockets[0].open();
  for (const f of snapshotFrames("s1", n)) sockets[0].frame(f);
  timers.advance(0);
  return { lq, sub, timers, sockets, last: () => sockets[sockets.length - 1] };
}

test("a refused reanchor is not asked again for the same range, and a refused grow stops the growing", () => {
  const c = synced(100);
  const ws = c.last();
  const list = new LiveVirtualWindow(c.sub, { page: 50, max: 300 });
  let range = [60, 99];
  list.subscribe(() => list.onRange(...range)); // as useLiveVirtualizer: onRange again for every new window
  list.onRange(...range);
  assert.deepEqual(ws.sentOf("reanchor"), [{ action: "reanchor", sub: "s1", limit: 150 }]);
  ws.frame({ op: "error", sub: "s1", code: "bad_query", message: "limit must be 1..100" });
  c.timers.advance(0);
  assert.equal(ws.sentOf("reanchor").length, 1, "not sent again at the snapshot the refusal makes");
  const w = list.getSnapshot();
  assert.deepEqual(w.refused, { limit: 150 });
  assert.equal(w.rows.length, 100);
  assert.equal(w.status, "live");
  list.onRange(...range);
  assert.equal(ws.sentOf("reanchor").length, 1);
  // a live change: a new window, the same range
  ws.frame({ op: "update", sub: "s1", id: "r1", version: 2, row: { id: "r1" }, cursor: "c1", new_index: 1, eid: "u1" });
  c.timers.advance(0);
  assert.equal(ws.sentOf("reanchor").length, 1);
  // the user scrolls on: the window slides at the size the server took instead of asking to grow again
  range = [61, 100];
  list.onRange(...range);
  assert.deepEqual(ws.sentOf("reanchor").at(-1), { action: "reanchor", sub: "s1", after: "c10", limit: 100 });
  for (let i = 0; i <= 10; i++) ws.frame({ op: "leave", sub: "s1", id: "r" + i, version: 1, old_index: 0, eid: "l" + i });
  for (let i = 100; i <= 110; i++) {
    ws.frame({ op: "enter", sub: "s1", id: "r" + i, version: 1, row: { id: "r" + i }, cursor: "c" + i, new_index: 89 + i - 100, eid: "e" + i });
  }
  ws.frame({ op: "ready", sub: "s1", has_more_before: true, has_more_after: true, resumed: false, eid: "r2" });
  c.timers.advance(0);
  assert.equal(list.getSnapshot().refused, null);
  assert.equal(list.item(100).id, "r100");
  c.lq.close();
});

/** Drops the socket and lets the client reconnect: its subscribe then resumes from the last eid. */
function reconnect(c) {
  c.last().serverClose(1006);
  c.timers.advance(c.timers.pending()[0]);
  c.last().open();
  return c.last();
}

test("rows that entered or left above the first visible row while offline move the scroll position when the resume brings them", () => {
  const c = synced(30);
  const list = new LiveVirtualWindow(c.sub, { page: 10, max: 100 });
  list.onRange(10, 15); // the user reads r10
  const ws = reconnect(c);
  assert.equal(ws.sentOf("subscribe")[0].resume, "er");
  for (let i = 0; i < 3; i++) ws.frame({ op: "enter", sub: "s1", id: "n" + i, version: 2, row: { id: "n" + i }, cursor: "cn" + i, new_index: 0, eid: "n" + i });
  c.timers.advance(0); // a batch of the resume, published while it is syncing
  ws.frame({ op: "leave", sub: "s1", id: "r2", version: 2, old_index: 5, eid: "l2" });
  for (let i = 0; i < 2; i++) ws.frame({ op: "leave", sub: "s1", id: "r" + (29 - i), version: 2, old_index: 31 - i, eid: "l" + i });
  ws.frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: true, resumed: true, eid: "rr" });
  c.timers.advance(0);
  const w = list.getSnapshot();
  assert.equal(w.status, "live");
  assert.equal(w.shift, 2, "3 rows entered above r10 and 1 left");
  assert.equal(list.item(10 + w.shift).id, "r10");
  c.lq.close();
});

test("a resume that misses (a reset and a fresh snapshot) moves no scroll position", () => {
  const c = synced(30);
  const list = new LiveVirtualWindow(c.sub, { page: 10, max: 100 });
  list.onRange(10, 15);
  const ws = reconnect(c);
  for (const f of snapshotFrames("s1", 30, { start: 5, eidPrefix: "m" })) ws.frame({ ...f, cause: f.op === "reset" ? "resume_miss" : undefined });
  c.timers.advance(0);
  assert.equal(list.getSnapshot().status, "live");
  assert.equal(list.getSnapshot().shift, 0);
  c.lq.close();
});

test("anchorShift starts counting again at a reset: what came before it was replaced", () => {
  const e = (i) => ({ op: "enter", live: true, new_index: i });
  assert.equal(anchorShift([e(0), { op: "reset" }, { ...e(0), live: false }, e(1)], 5), 1);
});
