import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeTimers, fakeSocketClass, snapshotFrames, fakeJwt } from "../support/fakes.mjs";

// Tabs of one browser in one process: a BroadcastChannel and Web Locks that deliver in microtasks
// (as the real ones deliver asynchronously), so one setImmediate lets everything settle.
const channels = new Map(); // name -> Set of open channels
globalThis.BroadcastChannel = class {
  constructor(name) { this.name = name; this.onmessage = null; this.closed = false; (channels.get(name) ?? channels.set(name, new Set()).get(name)).add(this); }
  postMessage(m) {
    if (this.closed) throw new DOMException("BroadcastChannel is closed.", "InvalidStateError");
    const data = structuredClone(m);
    for (const c of channels.get(this.name)) if (c !== this) queueMicrotask(() => { if (!c.closed) c.onmessage?.({ data }); });
  }
  close() { this.closed = true; channels.get(this.name).delete(this); }
};
const held = new Map(); // lock name -> waiting callbacks, the first holds it
Object.defineProperty(globalThis, "navigator", { configurable: true, value: { locks: {
  request(name, cb) {
    const q = held.get(name) ?? held.set(name, []).get(name);
    return new Promise(done => {
      const run = () => Promise.resolve(cb({})).then(v => { q.shift(); if (q.length) queueMicrotask(q[0]); done(v); });
      q.push(run);
      if (q.length === 1) queueMicrotask(run);
    });
  },
} } });
const { LiveQuery } = await import("../../dist/index.js");

const settle = () => new Promise(r => setImmediate(r));

/** An event target that remembers its listeners. */
function events() {
  const t = new EventTarget();
  t.added = new Map();
  const add = t.addEventListener.bind(t), remove = t.removeEventListener.bind(t);
  t.addEventListener = (type, f) => { add(type, f); (t.added.get(type) ?? t.added.set(type, new Set()).get(type)).add(f); };
  t.removeEventListener = (type, f) => { remove(type, f); t.added.get(type)?.delete(f); };
  t.count = type => t.added.get(type)?.size ?? 0;
  return t;
}

let browsers = 0;
/** Tabs of one browser: the first made leads. */
function browser() {
  const url = "ws://gw.test/v1/ws?b=" + ++browsers; // a lock and channel of its own
  const { FakeSocket, sockets } = fakeSocketClass();
  const tab = (opts = {}) => {
    const timers = new FakeTimers();
    const ev = events();
    const lq = new LiveQuery(url, { WebSocket: FakeSocket, timers, random: () => 0.5, shared: true, events: ev,
      document: Object.assign(new EventTarget(), { hidden: false }), ...opts });
    return { lq, timers, events: ev };
  };
  return { tab, sockets, last: () => sockets[sockets.length - 1] };
}

/** A browser whose first tab `a` leads, with a second tab `other` and the leader's socket open. */
async function twoTabs(opts = {}) {
  const b = browser();
  const a = b.tab(opts);
  await settle();
  const other = b.tab(opts);
  await settle();
  b.last().open();
  await settle();
  return { b, a, other };
}

test("shared: close() on the leader tab does not throw, and takes its page listeners off", async () => {
  const { a, other } = await twoTabs();
  assert.equal(a.lq.link.leader, true);
  assert.equal(a.events.count("pagehide"), 1);
  assert.equal(a.events.count("pageshow"), 1);
  a.lq.close();
  assert.equal(a.lq.state, "stopped");
  assert.equal(a.events.count("pagehide"), 0);
  assert.equal(a.events.count("pageshow"), 0);
  assert.equal(a.events.count("online"), 0);
  await settle();
  assert.equal(other.lq.link.leader, true, "the other tab leads now");
  assert.notEqual(other.lq.state, "stopped", "the leader's close is not the other tabs' stop");
  other.lq.close();
});

test("shared: after another tab's reanchor fails, the leader re-sends that tab's subscription with the window it kept", async () => {
  const { b, a, other } = await twoTabs();
  let ws = b.last();
  const s = other.lq.subscribe({ table: "t", limit: 2 });
  await settle();
  assert.deepEqual(ws.sentOf("subscribe").map(m => m.sub), [s.name], "sent on the leader's socket");
  for (const f of snapshotFrames(s.name, 2)) ws.frame(f);
  await settle();
  other.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  s.reanchor({ after: "bad" });
  await settle();
  assert.deepEqual(ws.sentOf("reanchor"), [{ action: "reanchor", sub: s.name, after: "bad" }]);
  ws.frame({ op: "error", sub: s.name, code: "bad_query", message: "malformed cursor" });
  await settle();
  other.timers.advance(0);
  assert.deepEqual(s.query, { table: "t", limit: 2 });
  ws.serverClose(1006);
  a.timers.advance(1000);
  ws = b.last();
  ws.open();
  await settle();
  assert.deepEqual(ws.sentOf("subscribe"), [{ action: "subscribe", sub: s.name, query: { table: "t", limit: 2 }, resume: "er" }]);
  a.lq.close();
  other.lq.close();
});

test("shared: another tab's subscriptions are syncing while the leader's socket is down, until the leader's resubscribe is answered", async () => {
  const { b, a, other } = await twoTabs();
  let ws = b.last();
  const s = other.lq.subscribe({ table: "t", limit: 2 });
  await settle();
  for (const f of snapshotFrames(s.name, 2)) ws.frame(f);
  await settle();
  other.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  ws.serverClose(1006);
  await settle();
  assert.equal(s.getSnapshot().status, "syncing");
  a.timers.advance(1000);
  ws = b.last();
  ws.open();
  await settle();
  assert.deepEqual(ws.sentOf("subscribe"), [{ action: "subscribe", sub: s.name, query: { table: "t", limit: 2 }, resume: "er" }]);
  ws.frame({ op: "ready", sub: s.name, has_more_before: false, has_more_after: false, resumed: true, eid: "x" });
  await settle();
  other.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  a.lq.close();
  other.lq.close();
});

test("shared: another tab's reanchor lost with the leader's socket and refused in the leader's resubscribe: that tab subscribes again with the window it kept", async () => {
  const { b, a, other } = await twoTabs();
  let ws = b.last();
  const errors = [];
  const s = other.lq.subscribe({ table: "t", limit: 2 }, { onError: e => errors.push(e.code) });
  await settle();
  for (const f of snapshotFrames(s.name, 2)) ws.frame(f);
  await settle();
  other.timers.advance(0);
  s.reanchor({ after: "bad" });
  await settle();
  ws.serverClose(1006); // before the reanchor's answer
  a.timers.advance(1000);
  ws = b.last();
  ws.open();
  await settle();
  const [carried] = ws.sentOf("subscribe");
  assert.equal(carried.query.after, "bad", "the leader's copy carries the unanswered reanchor");
  ws.frame({ op: "error", sub: s.name, code: "bad_query", message: "malformed cursor" });
  await settle();
  other.timers.advance(0);
  await settle();
  assert.deepEqual(errors, ["bad_query"]);
  const [, again] = ws.sentOf("subscribe");
  assert.deepEqual(again, { action: "subscribe", sub: s.name, query: { table: "t", limit: 2 }, resume: carried.resume },
    "not left showing a live window the server does not hold");
  ws.frame({ op: "ready", sub: s.name, eid: "er2", has_more_before: false, has_more_after: false, resumed: true });
  await settle();
  other.timers.advance(0);
  assert.equal(s.closed, false);
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(s.getSnapshot().rows.length, 2);
  a.lq.close();
  other.lq.close();
});

test("shared: a tab that does not lead sends its HTTP calls with a token of its own getToken, asked once for calls made together and again once it expired", async () => {
  const auth = [];
  const fetch = async (url, init) => { auth.push(init.headers.Authorization ?? "(none)"); return { ok: true, status: 200, text: async () => '{"id":"a","version":2}', json: async () => ({}) }; };
  let n = 0;
  const { a, other } = await twoTabs({ fetch, getToken: async () => fakeJwt({ sub: "u", iat: 0, exp: 300, n: ++n }) });
  assert.equal(n, 1, "the leader's connect");
  const items = other.lq.table("items");
  await Promise.all([items.put({ id: "a" }), items.delete("b"), items.batch({ upsert: [{ id: "c" }] })]);
  assert.equal(n, 2, "one getToken call for the three");
  assert.match(auth[0], /^Bearer /);
  assert.deepEqual(auth, [auth[0], auth[0], auth[0]]);
  await items.query({ limit: 1 });
  assert.equal(n, 2, "held while it lasts");
  assert.equal(auth[3], auth[0]);
  other.timers.advance(300_000);
  await items.patch("a", { n: 1 });
  assert.equal(n, 3, "expired: asked again");
  assert.match(auth[4], /^Bearer /);
  assert.notEqual(auth[4], auth[0]);
  a.lq.close();
  other.lq.close();
});

test("shared: a leader that stops for good (4001 with a fixed token) ends the other tabs' subscriptions and lets go of the lock: a new client in any tab leads and connects, and a stopped tab never leads", async () => {
  const { b, a, other } = await twoTabs({ token: "old" });
  const s = other.lq.subscribe({ table: "t", limit: 2 });
  await settle();
  b.last().serverClose(4001, "token_expired");
  await settle();
  assert.equal(a.lq.state, "stopped");
  assert.equal(other.lq.state, "stopped");
  assert.equal(s.getSnapshot().status, "error");
  assert.equal(s.error.code, "stopped");
  assert.match(s.error.message, /4001 token_expired/, "the other tab hears why");
  assert.deepEqual(a.timers.pending(), [], "the stopped leader probes no more");
  const fresh = b.tab({ token: "new" });
  await settle();
  await settle();
  assert.equal(fresh.lq.link.leader, true);
  assert.equal(other.lq.link.leader, false);
  assert.equal(b.sockets.length, 2);
  b.last().open();
  await settle();
  assert.equal(fresh.lq.state, "open");
  assert.deepEqual(b.last().sent[0], { action: "auth", token: "new" });
  const s2 = fresh.lq.subscribe({ table: "t", limit: 2 });
  assert.deepEqual(b.last().sentOf("subscribe").map(m => m.sub), [s2.name]);
  // the new leader goes while the stopped clients are still there (not closed): the lock passes by them
  fresh.lq.close();
  await settle();
  const next = b.tab({ token: "new" });
  await settle();
  await settle();
  assert.equal(next.lq.link.leader, true);
  assert.equal(a.lq.link.leader || other.lq.link.leader, false);
  assert.equal(b.sockets.length, 3);
  for (const t of [a, other, next]) t.lq.close();
});

test("shared: a tab that joins hears the leader's state with its detail", async () => {
  const b = browser();
  const a = b.tab();
  await settle();
  b.last().serverClose(1006, "");
  await settle();
  assert.equal(a.lq.state, "closed");
  const states = [];
  const other = b.tab({ onState: (s, d) => states.push(s + ":" + d) });
  await settle();
  assert.deepEqual(states, ["closed:1006"]);
  a.lq.close();
  other.lq.close();
});

test("shared: another tab's subscribe or resubscribe refused for a passing reason is re-sent by the leader, once", async () => {
  const { b, a, other } = await twoTabs({ pingMs: 60_000 }); // the 40 s of backoffs below would outlast an unanswered ping
  let ws = b.last();
  const s = other.lq.subscribe({ table: "t", limit: 2 });
  await settle();
  const later = async () => { a.timers.advance(10_000); other.timers.advance(10_000); await settle(); };
  ws.frame({ op: "error", sub: s.name, code: "unavailable", message: "backend shutting down" });
  await settle();
  assert.equal(s.closed, false);
  await later();
  assert.deepEqual(ws.sentOf("subscribe").map(m => m.sub), [s.name, s.name], "re-sent after a backoff, once");
  for (const f of snapshotFrames(s.name, 2)) ws.frame(f);
  await settle();
  other.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  // the leader reconnects and resubscribes the other tab's subscription, which a busy backend refuses
  ws.serverClose(1006);
  await later();
  ws = b.last();
  ws.open();
  await settle();
  assert.deepEqual(ws.sentOf("subscribe"), [{ action: "subscribe", sub: s.name, query: { table: "t", limit: 2 }, resume: "er" }]);
  ws.frame({ op: "error", sub: s.name, code: "unavailable", message: "backend unreachable" });
  await settle();
  await later();
  assert.equal(ws.sentOf("subscribe").length, 2, "the resubscribe is re-sent after a backoff, once");
  await later();
  assert.equal(ws.sentOf("subscribe").length, 2);
  ws.frame({ op: "ready", sub: s.name, has_more_before: false, has_more_after: false, resumed: true, eid: "x" });
  await settle();
  other.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  a.lq.close();
  other.lq.close();
});

test("shared: the leader drops the subscriptions of a tab that stopped answering (gone without pagehide), and tells it to subscribe again if it comes back", async () => {
  const { b, a, other } = await twoTabs({ pingMs: 3_600_000 });
  const dead = b.tab();
  await settle();
  let ws = b.last();
  const s = other.lq.subscribe({ table: "t", limit: 2 });
  const d = dead.lq.subscribe({ table: "u", limit: 2 });
  await settle();
  assert.deepEqual(ws.sentOf("subscribe").map(m => m.sub), [s.name, d.name]);
  for (const f of snapshotFrames(s.name, 2)) ws.frame(f);
  await settle();
  // the tab crashes: no pagehide, no unsubscribe, it hears nothing more
  dead.lq.link.channel.close();
  dead.lq.link.closed = true; // nor will it take the lock (a crashed tab's lock is released)
  const probes = async n => { for (let i = 0; i < n; i++) { a.timers.advance(5_000); await settle(); } };
  await probes(2);
  assert.deepEqual(ws.sentOf("unsubscribe"), [], "not dropped after two missed probes");
  await probes(2);
  assert.deepEqual(ws.sentOf("unsubscribe"), [{ action: "unsubscribe", sub: d.name }], "unsubscribed on the server");
  assert.equal(other.lq.link.leader, false);
  // the leader's reconnect re-sends only the live tab's subscription
  ws.serverClose(1006);
  a.timers.advance(1_000);
  ws = b.last();
  ws.open();
  await settle();
  assert.deepEqual(ws.sentOf("subscribe").map(m => m.sub), [s.name]);
  for (const f of snapshotFrames(s.name, 2, { eidPrefix: "f" })) ws.frame(f);
  await settle();
  // a tab that was frozen (hears nothing for a while) and thaws: dropped, then told to subscribe again
  const link = other.lq.link.channel, hear = link.onmessage;
  link.onmessage = () => {};
  await probes(4);
  assert.deepEqual(ws.sentOf("unsubscribe"), [{ action: "unsubscribe", sub: s.name }]);
  link.onmessage = hear;
  await probes(1);
  assert.deepEqual(ws.sentOf("subscribe").map(m => [m.sub, m.resume]), [[s.name, "er"], [s.name, "fr"]],
    "back: it resubscribes, resuming by its eid");
  await probes(6);
  assert.equal(ws.sentOf("unsubscribe").length, 1, "a tab that answers is kept");
  a.lq.close();
  other.lq.close();
});

/** Holds back the messages `from` a tab posts to `to`'s channel until release(), as a slow cross-process hop can. */
function delay(to, from) {
  const channel = to.lq.link.channel, hear = channel.onmessage, held = [];
  channel.onmessage = ev => { if (ev.data.from === from.lq.link.tab) held.push(ev); else hear(ev); };
  return { held, release: () => { channel.onmessage = hear; for (const ev of held.splice(0)) hear(ev); } };
}

const update = (sub, version, eid) => ({ op: "update", sub, id: "r0", version, row: { id: "r0", n: version }, cursor: "c0", new_index: 0, eid });

for (const who of ["a tab that follows the new leader", "the tab that becomes the leader"]) {
  test(`shared: a frame the old leader forwarded, arriving after the hand-off, is dropped by ${who}; the resume replays it in order`, async () => {
    const { b, a, other } = await twoTabs();
    const third = b.tab();
    await settle();
    const old = b.last();
    const tab = who.startsWith("a tab") ? third : other;
    const s = tab.lq.subscribe({ table: "t", limit: 2 });
    await settle();
    for (const f of snapshotFrames(s.name, 2)) old.frame(f);
    await settle();
    tab.timers.advance(0);
    assert.equal(s.eid, "er");
    // the old leader forwards one more update, which reaches the tab only after the hand-off
    const late = delay(tab, a);
    old.frame(update(s.name, 2, "e3"));
    a.lq.close();
    await settle();
    assert.equal(other.lq.link.leader, true, "the other tab leads now");
    assert.equal(late.held.length, 1, "the old leader's update is still on its way");
    const ws = b.last();
    assert.notEqual(ws, old);
    ws.open();
    await settle();
    assert.deepEqual(ws.sentOf("subscribe"), [{ action: "subscribe", sub: s.name, query: { table: "t", limit: 2 }, resume: "er" }],
      "resumed by the eid applied before the hand-off");
    // the new leader's server replays from that eid: the same update, then a newer one
    ws.frame(update(s.name, 2, "e3"));
    ws.frame(update(s.name, 3, "e4"));
    ws.frame({ op: "ready", sub: s.name, eid: "e4", has_more_before: false, has_more_after: true, resumed: true });
    await settle();
    late.release();
    await settle();
    tab.timers.advance(0);
    assert.equal(s.getSnapshot().status, "live");
    assert.deepEqual(s.getSnapshot().rows.map(r => [r.id, r.version]), [["r0", 3], ["r1", 1]], "the old leader's update does not undo the newer one");
    assert.equal(s.eid, "e4", "the resume token does not go back");
    other.lq.close();
    third.lq.close();
  });
}

test("shared: pagehide takes a tab's subscriptions off the leader's socket, and a pageshow puts them back only when persisted (also from a target that calls its listeners with nothing)", async () => {
  const b = browser();
  const a = b.tab();
  await settle();
  // a custom `events` target typed for listeners that take nothing (the option's type before PageEvents)
  const listeners = new Map();
  const page = {
    addEventListener: (t, f) => listeners.set(t, f),
    removeEventListener: (t, f) => { if (listeners.get(t) === f) listeners.delete(t); },
  };
  const other = b.tab({ events: page });
  await settle();
  const ws = b.last();
  ws.open();
  await settle();
  const s = other.lq.subscribe({ table: "t", limit: 2 });
  await settle();
  assert.deepEqual(ws.sentOf("subscribe").map(m => m.sub), [s.name]);
  listeners.get("pagehide")();
  await settle();
  assert.deepEqual(ws.sentOf("unsubscribe").map(m => m.sub), [s.name]);
  listeners.get("pageshow")(); // no event: not known to be from the bfcache
  listeners.get("pageshow")({ type: "pageshow", persisted: false });
  await settle();
  assert.equal(ws.sentOf("subscribe").length, 1);
  listeners.get("pageshow")({ type: "pageshow", persisted: true });
  await settle();
  assert.deepEqual(ws.sentOf("subscribe").map(m => m.sub), [s.name, s.name], "back from the bfcache: subscribed again");
  a.lq.close();
  other.lq.close();
  assert.equal(listeners.size, 0);
});
