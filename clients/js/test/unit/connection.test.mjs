import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveQuery } from "../../dist/index.js";
import { FakeTimers, fakeSocketClass, snapshotFrames, fakeJwt } from "../support/fakes.mjs";

function client(opts = {}) {
  const timers = new FakeTimers();
  const { FakeSocket, sockets } = fakeSocketClass();
  const events = new EventTarget();
  const doc = Object.assign(new EventTarget(), { hidden: false });
  const states = [];
  const lq = new LiveQuery("ws://gw.test/v1/ws", {
    WebSocket: FakeSocket, timers, random: () => 0.5, events, document: doc,
    onState: (s, d) => states.push(d ? s + ":" + d : s), ...opts,
  });
  return { lq, timers, sockets, events, doc, states, last: () => sockets[sockets.length - 1] };
}

/** Publishes pending batches (0 ms timers), then returns the delay of the scheduled reconnect. */
function retryDelay(c) {
  c.timers.advance(0);
  return c.timers.pending()[0];
}

test("backoff doubles on every close, also after open, and resets only on the first ready", () => {
  const c = client();
  c.lq.subscribe({ table: "t", limit: 2 });
  const waits = [];
  for (let i = 0; i < 4; i++) {
    const ws = c.last();
    ws.open();
    ws.serverClose(4029, "too many connections"); // refused right after open: an overloaded server
    waits.push(retryDelay(c));
    c.timers.advance(waits[i]);
  }
  assert.deepEqual(waits, [250, 500, 1000, 2000]);
  const ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  ws.serverClose(1001, "shutdown");
  assert.equal(retryDelay(c), 250, "a ready means the server served: the next retry is fast again");
});

test("backoff is capped", () => {
  const c = client({ backoff: { base: 100, max: 1000 } });
  const waits = [];
  for (let i = 0; i < 6; i++) {
    c.last().serverClose(1006);
    waits.push(retryDelay(c));
    c.timers.advance(waits[i]);
  }
  assert.deepEqual(waits, [100, 200, 400, 800, 1000, 1000]);
});

test("backoff.max caps the jittered wait: no reconnect or subscribe re-send waits longer than max", () => {
  const c = client({ backoff: { base: 100, max: 1000 }, random: () => 0.99 }); // jitter at its top: ×1.49
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  const waits = [];
  for (let i = 0; i < 6; i++) {
    c.last().serverClose(1006);
    waits.push(retryDelay(c));
    c.timers.advance(waits[i]);
  }
  assert.deepEqual(waits, [149, 298, 596, 1000, 1000, 1000]);
  // a subscribe refused for a passing reason, again and again: its re-sends are capped too
  const ws = c.last();
  ws.open();
  const resends = [];
  for (let i = 0; i < 6; i++) {
    ws.frame({ op: "error", sub: s.name, code: "unavailable", message: "try again" });
    resends.push(c.timers.pending()[0]);
    c.timers.advance(resends[i]);
  }
  assert.deepEqual(resends, [149, 298, 596, 1000, 1000, 1000]);
});

test("close 1008 stops for good; so does 4001 without a token source", () => {
  for (const code of [1008, 4001]) {
    const c = client({ token: "static" });
    c.last().open();
    c.last().serverClose(code, "policy");
    assert.equal(c.lq.state, "stopped");
    assert.deepEqual(c.timers.pending(), [], "no reconnect scheduled after " + code);
    assert.equal(c.sockets.length, 1);
  }
});

test("a stopped connection ends its subscriptions with error code stopped; subscribe() then throws", async () => {
  for (const code of [1008, 4001]) {
    const errors = [], global = [];
    const c = client({ token: "static", onError: e => global.push(e.sub + ":" + e.code) });
    const live = c.lq.subscribe({ table: "t", limit: 2 }, { onError: e => errors.push(e.code) });
    const waiting = c.lq.subscribe({ table: "u", limit: 2 });
    const ready = waiting.whenReady();
    c.last().open();
    for (const f of snapshotFrames("s1", 2)) c.last().frame(f);
    c.timers.advance(0);
    c.last().serverClose(code, "policy");
    assert.equal(c.lq.state, "stopped");
    assert.equal(live.getSnapshot().status, "error");
    assert.equal(live.getSnapshot().error.code, "stopped");
    assert.match(live.getSnapshot().error.message, new RegExp(String(code)));
    assert.deepEqual(errors, ["stopped"]);
    assert.deepEqual(global, ["s1:stopped", "s2:stopped"]);
    await assert.rejects(ready, e => e.code === "stopped");
    assert.throws(() => c.lq.subscribe({ table: "v", limit: 1 }), e => e.code === "stopped");
  }
});

test("a client stopped by the server (1008, 4001) lets go of the page's events, as lq.close() does", () => {
  // an event target that says which listeners it holds
  const held = extra => Object.assign({
    listening: new Set(),
    addEventListener(t, f) { this.listening.add(f); },
    removeEventListener(t, f) { this.listening.delete(f); },
  }, extra);
  for (const stop of [c => c.last().serverClose(1008, "policy"), c => c.lq.close()]) {
    const events = held({}), document = held({ hidden: false });
    const c = client({ token: "static", events, document });
    c.last().open();
    assert.equal(events.listening.size + document.listening.size, 2);
    stop(c);
    assert.equal(c.lq.state, "stopped");
    assert.equal(events.listening.size + document.listening.size, 0, "nothing keeps a stopped client reachable from the page");
  }
});

test("lq.close() ends every subscription as closed; subscribe() after it throws", async () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  c.last().open();
  for (const f of snapshotFrames("s1", 2)) c.last().frame(f);
  c.timers.advance(0);
  c.lq.close();
  assert.equal(s.getSnapshot().status, "closed");
  await assert.rejects(s.whenReady());
  assert.throws(() => c.lq.subscribe({ table: "t", limit: 1 }), e => e.name === "LiveQueryError" && e.code === "stopped");
});

/** The server closes the socket with `code`; after its backoff the client reconnects and sends the next token first. */
async function closeThenReauth(c, code, reason) {
  c.last().serverClose(code, reason);
  assert.equal(c.lq.state, "closed");
  c.timers.advance(retryDelay(c));
  await new Promise(r => setImmediate(r));
  assert.equal(c.sockets.length, 2);
  c.last().open();
  assert.deepEqual(c.last().sent[0], { action: "auth", token: "tok2" });
}

test("close 4001 with getToken reconnects with a fresh token sent as the first message", async () => {
  let n = 0;
  const c = client({ getToken: async () => "tok" + ++n });
  await new Promise(r => setImmediate(r));
  c.last().open();
  assert.deepEqual(c.last().sent[0], { action: "auth", token: "tok1" });
  await closeThenReauth(c, 4001, "token_expired");
});

test("a getToken that never settles times out (getTokenTimeoutMs) and counts as failed: the connect is retried after the backoff", async () => {
  const tick = () => new Promise(r => setImmediate(r));
  let n = 0, late = null;
  const c = client({ getTokenTimeoutMs: 5_000, getToken: () => ++n === 1 ? new Promise(r => { late = r; }) : Promise.resolve("tok" + n) });
  await tick();
  assert.equal(c.sockets.length, 0);
  assert.equal(c.lq.state, "connecting");
  c.timers.advance(4_999);
  await tick();
  assert.equal(c.lq.state, "connecting");
  c.timers.advance(1);
  await tick();
  assert.match(c.states.at(-1), /^closed:getToken failed: .*5000 ms/, "given up, as a getToken that failed");
  late("tok-late"); // its answer comes after all, during the backoff: not used
  await tick();
  assert.equal(c.sockets.length, 0, "no socket for the late answer");
  c.timers.advance(retryDelay(c));
  await tick();
  assert.equal(n, 2, "asked again after the backoff");
  assert.equal(c.sockets.length, 1);
  c.last().open();
  assert.deepEqual(c.last().sent[0], { action: "auth", token: "tok2" });
  c.lq.close();
  assert.deepEqual(c.timers.pending(), [], "no getToken timeout left behind");
});

test("a getToken timeout is 10 s by default", async () => {
  const tick = () => new Promise(r => setImmediate(r));
  const c = client({ getToken: () => new Promise(() => {}) });
  await tick();
  c.timers.advance(9_999);
  await tick();
  assert.equal(c.lq.state, "connecting");
  c.timers.advance(1);
  await tick();
  assert.equal(c.lq.state, "closed");
  c.lq.close();
  assert.deepEqual(c.timers.pending(), [], "close() leaves no timer behind, also of a getToken under way");
});

test("an HTTP write made before the first getToken answer waits for it and carries the token; the answer is asked for once", async () => {
  const auth = [];
  const fetch = async (url, init) => { auth.push(init.headers.Authorization ?? "(none)"); return { ok: true, status: 200, text: async () => '{"id":"a","version":2}', json: async () => ({}) }; };
  let n = 0, answer = null;
  const c = client({ fetch, getToken: () => { n++; return new Promise(r => { answer = r; }); } });
  const put = c.lq.table("items").put({ id: "a" });
  await new Promise(r => setImmediate(r));
  assert.equal(auth.length, 0, "not sent without the token");
  answer("tok1");
  await put;
  assert.deepEqual(auth, ["Bearer tok1"]);
  assert.equal(n, 1, "the connect's getToken call, shared");
  c.lq.close();
});

test("an HTTP call waiting for a getToken that never answers fails when the client is closed, not never", async () => {
  const fetch = async () => { throw new Error("not to be sent"); };
  const c = client({ fetch, getToken: () => new Promise(() => {}) });
  const put = c.lq.table("items").put({ id: "a" });
  await new Promise(r => setImmediate(r));
  c.lq.close();
  await assert.rejects(put, /stopped/);
  assert.deepEqual(c.timers.pending(), [], "nothing left behind");
});

test("with getToken, a refused token is not final: the subscription is kept and the client reconnects with a fresh token", async () => {
  let n = 0;
  const c = client({ getToken: async () => "tok" + ++n });
  const tick = () => new Promise(r => setImmediate(r));
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  await tick();
  let ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  ws.serverClose(1006);
  c.timers.advance(retryDelay(c));
  await tick();
  ws = c.last();
  ws.open();
  assert.deepEqual(ws.sent[0], { action: "auth", token: "tok2" });
  // tok2 has expired meanwhile: the gateway refuses the auth and every command after it
  ws.frame({ op: "error", code: "unauthorized", message: "token expired" });
  ws.frame({ op: "error", sub: "s1", code: "unauthorized", message: "authenticate first" });
  c.timers.advance(0);
  assert.equal(s.closed, false);
  assert.equal(s.getSnapshot().status, "syncing");
  assert.ok(c.lq.subs.has("s1"));
  assert.equal(c.lq.state, "closed", "the refused socket is given up at once");
  c.timers.advance(retryDelay(c));
  await tick();
  ws = c.last();
  ws.open();
  assert.deepEqual(ws.sent[0], { action: "auth", token: "tok3" });
  assert.deepEqual(ws.sentOf("subscribe"), [{ action: "subscribe", sub: "s1", query: { table: "t", limit: 2 }, resume: "er" }]);
  ws.frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: false, resumed: true, eid: "x" });
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
});

test("with getToken, a reanchor answered unauthorized is not undone: the reconnect's resubscribe carries it", async () => {
  let n = 0;
  const c = client({ getToken: async () => "tok" + ++n });
  const tick = () => new Promise(r => setImmediate(r));
  await tick();
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  let ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  s.reanchor({ limit: 50 });
  s.reanchor({ after: "c1" }); // waits for the first's answer
  // the token expired: the gateway ran neither the reanchor nor anything after it
  ws.frame({ op: "error", sub: "s1", code: "unauthorized", message: "authenticate first" });
  c.timers.advance(0);
  assert.deepEqual(s.query, { table: "t", limit: 50, after: "c1" }, "the window the user asked for");
  assert.equal(s.getSnapshot().status, "syncing");
  assert.equal(ws.sentOf("reanchor").length, 1);
  c.timers.advance(retryDelay(c));
  await tick();
  ws = c.last();
  ws.open();
  assert.deepEqual(ws.sent[0], { action: "auth", token: "tok2" });
  assert.deepEqual(ws.sentOf("subscribe"), [{ action: "subscribe", sub: "s1", query: { table: "t", limit: 50, after: "c1" }, resume: "er" }]);
  ws.frame({ op: "ready", sub: "s1", has_more_before: true, has_more_after: false, resumed: true, eid: "x" });
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  assert.deepEqual(s.query, { table: "t", limit: 50, after: "c1" });
  assert.equal(c.last().sentOf("reanchor").length, 0);
});

test("with getToken, close 1008 (no valid auth in time) reconnects with a fresh token like 4001", async () => {
  let n = 0;
  const c = client({ getToken: async () => "tok" + ++n });
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  await new Promise(r => setImmediate(r));
  c.last().open();
  await closeThenReauth(c, 1008, "unauthorized");
  assert.equal(c.last().sentOf("subscribe").length, 1);
  assert.equal(s.closed, false);
});

test("close 1008 for a refused Origin stops even with getToken: no token helps", async () => {
  const c = client({ getToken: async () => "tok" });
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  await new Promise(r => setImmediate(r));
  c.last().open();
  c.last().serverClose(1008, "origin not allowed");
  assert.equal(c.lq.state, "stopped");
  assert.equal(s.error.code, "stopped");
  assert.match(s.error.message, /origin not allowed/);
  assert.deepEqual(c.timers.pending(), []);
});

test("a resubscribe refused for a passing reason (unavailable, too_many_subs) is re-sent after a backoff", () => {
  for (const code of ["unavailable", "too_many_subs"]) {
    const c = client();
    const errors = [];
    const s = c.lq.subscribe({ table: "t", limit: 2 }, { onError: e => errors.push(e.code) });
    let ws = c.last();
    ws.open();
    for (const f of snapshotFrames("s1", 2)) ws.frame(f);
    ws.serverClose(1006);
    c.timers.advance(retryDelay(c));
    ws = c.last();
    ws.open();
    ws.frame({ op: "error", sub: "s1", code, message: "try again" });
    c.timers.advance(0);
    assert.deepEqual(errors, [code]);
    assert.equal(s.closed, false, code + " is not final");
    assert.equal(s.getSnapshot().status, "syncing");
    assert.equal(ws.sentOf("subscribe").length, 1);
    c.timers.advance(c.timers.pending()[0]);
    assert.equal(ws.sentOf("subscribe").length, 2, "re-sent on the same socket");
    assert.equal(ws.sentOf("subscribe")[1].resume, "er");
    ws.frame({ op: "error", sub: "s1", code, message: "still" });
    const second = c.timers.pending()[0];
    assert.ok(second > 250, "the backoff grows: " + second);
    c.timers.advance(second);
    ws.frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: false, resumed: true, eid: "x" });
    c.timers.advance(0);
    assert.equal(s.getSnapshot().status, "live");
    assert.equal(c.sockets.length, 2);
  }
});

test("a JWT is refreshed over the open socket before it expires", async () => {
  let n = 0;
  const c = client({ getToken: async () => fakeJwt({ sub: "u", exp: Math.floor(c.timers.t / 1000) + 300, n: ++n }), refreshBeforeMs: 60_000, pingMs: 3_600_000 });
  await new Promise(r => setImmediate(r));
  const ws = c.last();
  ws.open();
  assert.equal(ws.sentOf("auth").length, 1);
  c.timers.advance(239_000);
  await new Promise(r => setImmediate(r));
  assert.equal(ws.sentOf("auth").length, 1, "not yet: 60 s before exp is at 240 s");
  c.timers.advance(1_000);
  await new Promise(r => setImmediate(r));
  const auths = ws.sentOf("auth");
  assert.equal(auths.length, 2);
  assert.notEqual(auths[1].token, auths[0].token);
  assert.equal(c.sockets.length, 1, "refresh keeps the connection");
});

test("a JWT valid for 30 days is refreshed once, 60 s before exp, not at every tick of an overflowing timer", async () => {
  let n = 0;
  const c = client({ getToken: async () => fakeJwt({ sub: "u", exp: Math.floor(c.timers.t / 1000) + 30 * 86_400, n: ++n }), pingMs: 3_600_000 });
  await new Promise(r => setImmediate(r));
  const ws = c.last();
  ws.open();
  for (let h = 0; h < 30 * 24 - 1; h++) {
    c.timers.advance(3_600_000);
    ws.frame({ op: "pong" }); // a healthy socket
    await new Promise(r => setImmediate(r));
  }
  assert.equal(n, 1, "no refresh in the first 719 hours");
  c.timers.advance(3_600_000 - 60_000);
  await new Promise(r => setImmediate(r));
  assert.equal(n, 2);
  assert.equal(ws.sentOf("auth").length, 2);
  assert.ok(c.timers.pending().every(d => d <= 2 ** 31 - 1), "no timer longer than setTimeout can hold");
});

test("a token refresh that fails is tried again while the token lasts, not left to a close 4001", async () => {
  let n = 0;
  const c = client({ pingMs: 3_600_000, getToken: async () => {
    if (++n === 2) throw new Error("token endpoint unreachable");
    return fakeJwt({ sub: "u", exp: Math.floor(c.timers.t / 1000) + 300, n });
  } });
  const tick = () => new Promise(r => setImmediate(r));
  await tick();
  const ws = c.last();
  ws.open();
  c.timers.advance(240_000); // the refresh, 60 s before exp: fails
  await tick();
  assert.equal(n, 2);
  assert.equal(ws.sentOf("auth").length, 1);
  c.timers.advance(10_000);
  await tick();
  assert.equal(n, 3, "asked again");
  assert.equal(ws.sentOf("auth").length, 2, "the fresh token went out before exp");
  assert.equal(c.sockets.length, 1);
});

test("a token whose iat shows the client's clock is wrong is refreshed by its lifetime, not by exp", async () => {
  const tick = () => new Promise(r => setImmediate(r));
  for (const skew of [-3_600_000 * 24 * 365, 600_000]) { // the clock a year behind the issuer's; 10 min ahead (past exp)
    let n = 0;
    const c = client({ pingMs: 3_600_000, getToken: async () => {
      const iat = Math.floor((c.timers.t - skew) / 1000);
      return fakeJwt({ sub: "u", iat, exp: iat + 300, n: ++n });
    } });
    c.timers.t = 3_600_000 * 24 * 365 * 2;
    await tick();
    const ws = c.last();
    ws.open();
    for (let s = 0; s < 239; s++) { c.timers.advance(1_000); await tick(); }
    assert.equal(n, 1, `skew ${skew}: getToken is not asked in a loop`);
    c.timers.advance(1_000);
    await tick();
    assert.equal(n, 2, `skew ${skew}: refreshed 60 s before the end of its 300 s`);
    assert.equal(ws.sentOf("auth").length, 2);
  }
});

test("client pings a quiet socket and drops a silent one within 30 s", () => {
  const c = client();
  const ws = c.last();
  ws.open();
  c.timers.advance(10_000);
  assert.equal(ws.sentOf("ping").length, 1);
  ws.frame({ op: "pong" });
  c.timers.advance(10_000);
  assert.equal(c.sockets.length, 1, "a pong keeps it");
  assert.equal(ws.sentOf("ping").length, 2, "quiet for 10 s: ping again");
  c.timers.advance(10_000); // nothing heard for 20 s after the pong: dropped, 30 s after the last frame
  assert.equal(c.lq.state, "closed");
  assert.equal(ws.closedWith, 4000);
  c.timers.advance(retryDelay(c));
  assert.equal(c.sockets.length, 2);
});

test("a ping timer that runs late (a background tab) pings first; only a ping left unanswered drops the socket", () => {
  const c = client();
  const ws = c.last();
  ws.open();
  c.timers.runLate(60_000); // due at 10 s, runs at 70 s: silent for 70 s, but nothing was asked
  assert.equal(c.lq.state, "open");
  assert.equal(c.sockets.length, 1);
  assert.equal(ws.sentOf("ping").length, 1);
  ws.frame({ op: "pong" });
  c.timers.runLate(60_000);
  assert.equal(c.lq.state, "open", "answered: kept");
  assert.equal(ws.sentOf("ping").length, 2);
  c.timers.runLate(0);
  assert.equal(c.lq.state, "closed", "a ping unanswered for a period: dropped");
  assert.equal(ws.closedWith, 4000);
});

test("online and visibilitychange to visible reconnect at once instead of waiting out the backoff", () => {
  const c = client({ backoff: { base: 5000 } });
  c.last().serverClose(1006);
  assert.equal(c.sockets.length, 1);
  c.events.dispatchEvent(new Event("online"));
  assert.equal(c.sockets.length, 2);
  c.last().serverClose(1006);
  c.doc.hidden = true;
  c.doc.dispatchEvent(new Event("visibilitychange"));
  assert.equal(c.sockets.length, 2, "hidden: no hurry");
  c.doc.hidden = false;
  c.doc.dispatchEvent(new Event("visibilitychange"));
  assert.equal(c.sockets.length, 3);
  c.lq.close();
  c.events.dispatchEvent(new Event("online"));
  assert.equal(c.sockets.length, 3, "closed by the user: stays closed");
  assert.equal(c.lq.state, "stopped");
});

test("a socket that has not opened within connectTimeoutMs is given up and retried after the backoff", () => {
  const c = client({ connectTimeoutMs: 10_000 });
  c.lq.subscribe({ table: "t", limit: 2 });
  const stuck = c.last(); // its SYN black-holed: neither open nor close comes
  c.timers.advance(9_999);
  assert.equal(c.sockets.length, 1);
  c.timers.advance(1);
  assert.equal(stuck.closedWith, 4000);
  assert.equal(c.lq.state, "closed");
  assert.equal(c.states.at(-1), "closed:not open in time");
  c.events.dispatchEvent(new Event("online")); // and waits no backoff when the network is back
  assert.equal(c.sockets.length, 2);
  const ws = c.last();
  c.timers.advance(5_000);
  ws.open();
  c.timers.advance(9_000); // opened: no deadline left, only the pings
  assert.equal(c.sockets.length, 2);
  assert.equal(ws.readyState, 1);
  assert.equal(c.lq.state, "open");
});

test("subscriptions are re-sent after a reconnect with resume = the last applied eid and the current window", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", order: [{ field: "n" }], limit: 3 });
  let ws = c.last();
  ws.open();
  assert.deepEqual(ws.sentOf("subscribe"), [{ action: "subscribe", sub: "s1", query: { table: "t", order: [{ field: "n" }], limit: 3 } }]);
  const frames = snapshotFrames("s1", 3);
  for (const f of frames.slice(0, 3)) ws.frame(f); // cut off mid-snapshot: reset + 2 enters
  ws.serverClose(1006);
  s.reanchor({ limit: 10 }); // while offline
  c.timers.advance(retryDelay(c));
  ws = c.last();
  ws.open();
  assert.deepEqual(ws.sentOf("subscribe"), [{ action: "subscribe", sub: "s1", query: { table: "t", order: [{ field: "n" }], limit: 10 }, resume: "e2" }]);
  assert.equal(ws.sentOf("reanchor").length, 0, "the reanchor travels in the resubscribe");
});

test("a dropped socket makes every subscription syncing (whenReady() waits) until its resume's ready, also while reconnects fail", async () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  const fresh = c.lq.subscribe({ table: "u", limit: 2 }); // never answered: syncing from the start
  let ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  ws.serverClose(1006);
  assert.equal(s.getSnapshot().status, "syncing", "the window may miss what changes while offline");
  assert.equal(s.getSnapshot().rows.length, 2, "its rows stay shown");
  assert.equal(fresh.getSnapshot().status, "syncing");
  let settled = false;
  s.whenReady().then(() => { settled = true; });
  for (let i = 0; i < 5; i++) {
    c.timers.advance(retryDelay(c));
    c.last().serverClose(1006); // the server stays unreachable
  }
  c.timers.advance(retryDelay(c));
  await new Promise(r => setImmediate(r));
  assert.equal(s.getSnapshot().status, "syncing");
  assert.equal(settled, false);
  ws = c.last();
  ws.open();
  ws.frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: false, resumed: true, eid: "x" });
  c.timers.advance(0);
  await new Promise(r => setImmediate(r));
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(settled, true);
  assert.equal(fresh.getSnapshot().status, "syncing");
});

test("a resume is syncing until its ready: the old ready is not taken for the new one", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", order: [{ field: "n" }], limit: 2 });
  let ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  assert.equal(s.syncing, false);
  ws.serverClose(1006);
  c.timers.advance(retryDelay(c));
  ws = c.last();
  ws.open();
  assert.equal(ws.sentOf("subscribe")[0].resume, "er");
  assert.equal(s.syncing, true, "syncing from the resubscribe");
  assert.equal(s.getSnapshot().status, "syncing");
  assert.equal(s.getSnapshot().rows.length, 2, "the old rows stay shown meanwhile");
  ws.frame({ op: "ready", sub: "s1", eid: "er", has_more_before: false, has_more_after: false, resumed: true });
  c.timers.advance(0);
  assert.equal(s.syncing, false);
  assert.equal(s.ready.resumed, true);
});

test("an error to a subscribe ends that subscription; it is not re-sent", () => {
  const c = client();
  const errors = [];
  const s = c.lq.subscribe({ table: "nope" }, { onError: e => errors.push(e.code) });
  const other = c.lq.subscribe({ table: "t" });
  c.last().open();
  c.last().frame({ op: "error", sub: "s1", code: "unknown_table", message: "no such table" });
  assert.deepEqual(errors, ["unknown_table"]);
  assert.equal(s.getSnapshot().status, "error");
  assert.equal(s.getSnapshot().error.code, "unknown_table");
  c.last().serverClose(1006);
  c.timers.advance(retryDelay(c));
  c.last().open();
  assert.deepEqual(c.last().sentOf("subscribe").map(m => m.sub), ["s2"]);
  assert.ok(other);
});

test("an error to a reanchor keeps the subscription and its old window", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  const ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  s.reanchor({ after: "bad-cursor" });
  ws.frame({ op: "error", sub: "s1", code: "bad_query", message: "malformed cursor" });
  c.timers.advance(0);
  assert.equal(s.query.after, undefined);
  assert.equal(s.syncing, false);
  assert.equal(s.closed, false);
  assert.equal(s.getSnapshot().rows.length, 2);
});

test("whenReady() during a reanchor resolves when the reanchor is refused (in sync again, no ready comes)", async () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 2 }, { onError: () => {} });
  const ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  s.reanchor({ after: "bad" });
  let settled = "pending";
  s.whenReady().then(r => { settled = "ready " + r.eid; }, () => { settled = "rejected"; });
  ws.frame({ op: "error", sub: "s1", code: "bad_query", message: "malformed cursor" });
  c.timers.advance(0);
  await new Promise(r => setImmediate(r));
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(settled, "ready er", "a Suspense boundary waiting on it would stay suspended over a live window");
});

test("a reanchor the socket lost before its answer, refused in the resubscribe, falls back to the confirmed window", () => {
  const c = client();
  const errors = [];
  const s = c.lq.subscribe({ table: "t", limit: 2 }, { onError: e => errors.push(e.code) });
  let ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  s.reanchor({ after: "bad" });
  assert.deepEqual(ws.sentOf("reanchor"), [{ action: "reanchor", sub: "s1", after: "bad" }]);
  ws.serverClose(1006); // before its answer
  c.timers.advance(retryDelay(c));
  ws = c.last();
  ws.open();
  const [carried] = ws.sentOf("subscribe");
  assert.equal(carried.query.after, "bad", "the resubscribe carries the unanswered reanchor");
  ws.frame({ op: "error", sub: "s1", code: "bad_query", message: "malformed cursor" });
  c.timers.advance(0);
  assert.deepEqual(errors, ["bad_query"]);
  assert.equal(s.closed, false, "the refusal was the reanchor's, not the subscription's");
  const [, back] = ws.sentOf("subscribe");
  assert.deepEqual(back, { action: "subscribe", sub: "s1", query: { table: "t", limit: 2 }, resume: carried.resume });
  ws.frame({ op: "ready", sub: "s1", eid: "er2", has_more_before: false, has_more_after: false, resumed: true });
  c.timers.advance(0);
  assert.deepEqual(s.query, { table: "t", limit: 2 });
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(s.getSnapshot().rows.length, 2);
  // with nothing unconfirmed left, a refused resubscribe ends the subscription as before
  ws.serverClose(1006);
  c.timers.advance(retryDelay(c));
  ws = c.last();
  ws.open();
  ws.frame({ op: "error", sub: "s1", code: "forbidden", message: "no" });
  c.timers.advance(0);
  assert.equal(s.closed, true);
  assert.equal(ws.sentOf("subscribe").length, 1);
});

test("the fallback stays the confirmed window over several reconnects, and keeps the changes made since", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 2 }, { onError: () => {} });
  let ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  s.reanchor({ after: "bad" }); // in flight
  ws.serverClose(1006); // lost before its answer
  c.timers.advance(retryDelay(c));
  ws = c.last();
  ws.open(); // the resubscribe carries after "bad", unanswered
  s.reanchor({ limit: 3 }); // made while it is
  ws.serverClose(1006); // lost again
  c.timers.advance(retryDelay(c));
  ws = c.last();
  ws.open();
  assert.equal(ws.sentOf("subscribe")[0].query.after, "bad");
  s.reanchor({ limit: 5 }); // made while this one is unanswered
  ws.frame({ op: "error", sub: "s1", code: "bad_query", message: "malformed cursor" });
  c.timers.advance(0);
  const [, back] = ws.sentOf("subscribe");
  assert.deepEqual(back.query, { table: "t", limit: 5 }, "the confirmed window, with the later limit, without the refused cursor");
  assert.deepEqual(s.query, { table: "t", limit: 5 });
  assert.equal(s.closed, false);
});

test("reanchors go one at a time; a failed one restores the window the one before it made", async () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  let ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  s.reanchor({ limit: 3 });
  s.reanchor({ after: "bad" });
  assert.deepEqual(ws.sentOf("reanchor"), [{ action: "reanchor", sub: "s1", limit: 3 }], "the second waits for the first's answer");
  let settled = false;
  s.whenReady().then(() => { settled = true; });
  ws.frame({ op: "enter", sub: "s1", id: "r2", version: 1, row: { id: "r2" }, cursor: "c2", new_index: 2, eid: "e3" });
  ws.frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: true, resumed: false, eid: "e3r" });
  c.timers.advance(0);
  await new Promise(r => setImmediate(r));
  assert.equal(settled, false, "the first reanchor's ready is not the second's");
  assert.equal(s.getSnapshot().status, "syncing");
  assert.deepEqual(ws.sentOf("reanchor")[1], { action: "reanchor", sub: "s1", after: "bad" });
  ws.frame({ op: "error", sub: "s1", code: "bad_query", message: "malformed cursor" });
  c.timers.advance(0);
  assert.deepEqual(s.query, { table: "t", limit: 3 }, "the window of the first reanchor, which succeeded");
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(s.getSnapshot().rows.length, 3);
  ws.serverClose(1006);
  c.timers.advance(retryDelay(c));
  ws = c.last();
  ws.open();
  assert.deepEqual(ws.sentOf("subscribe")[0].query, { table: "t", limit: 3 });
});

test("a reset whose snapshot ends while a reanchor is in flight does not answer it: resubscribed under a new sub id with the window asked for", async () => {
  const c = client();
  const errors = [];
  const s = c.lq.subscribe({ table: "t", limit: 2 }, { onError: e => errors.push(e.code) });
  const ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  s.reanchor({ limit: 4 });
  // the server wrote a reset overflow of the old window before it read the reanchor
  for (const f of snapshotFrames("s1", 2, { eidPrefix: "o" })) ws.frame(f.op === "reset" ? { ...f, cause: "overflow" } : f);
  c.timers.advance(0);
  let settled = false;
  s.whenReady().then(() => { settled = true; });
  await new Promise(r => setImmediate(r));
  assert.equal(settled, false, "that ready could be the reset's alone: the reanchor's splice may still come");
  assert.equal(s.getSnapshot().status, "syncing");
  assert.equal(s.getSnapshot().rows.length, 2, "the reset's rows stay shown meanwhile");
  assert.deepEqual(ws.sentOf("unsubscribe"), [{ action: "unsubscribe", sub: "s1" }]);
  assert.deepEqual(ws.sentOf("subscribe").slice(1), [{ action: "subscribe", sub: "s2", query: { table: "t", limit: 4 }, resume: "or" }]);
  s.reanchor({ limit: 6 }); // the user scrolls on: waits for the resubscribe's ready
  assert.equal(ws.sentOf("reanchor").length, 1);
  // the old id's answers are nobody's now
  for (let i = 2; i < 4; i++) ws.frame({ op: "enter", sub: "s1", id: "r" + i, version: 1, row: { id: "r" + i }, cursor: "c" + i, new_index: i, eid: "x" + i });
  ws.frame({ op: "ready", sub: "s1", has_more_before: false, has_more_after: true, resumed: false, eid: "xr" });
  ws.frame({ op: "closed", sub: "s1", cause: "unsubscribed" });
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "syncing");
  assert.equal(s.rows.length, 2);
  for (let i = 2; i < 4; i++) ws.frame({ op: "enter", sub: "s2", id: "r" + i, version: 1, row: { id: "r" + i }, cursor: "c" + i, new_index: i, eid: "y" + i });
  ws.frame({ op: "ready", sub: "s2", has_more_before: false, has_more_after: true, resumed: true, eid: "yr" });
  c.timers.advance(0);
  assert.deepEqual(ws.sentOf("reanchor")[1], { action: "reanchor", sub: "s2", limit: 6 });
  ws.frame({ op: "error", sub: "s2", code: "bad_query", message: "limit too large" });
  c.timers.advance(0);
  assert.deepEqual(errors, ["bad_query"], "the refusal reaches the reanchor it answers");
  assert.deepEqual(s.query, { table: "t", limit: 4 }, "the window the server holds");
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(s.rows.length, 4);
  await new Promise(r => setImmediate(r));
  assert.equal(settled, true);
});

test("a reanchor folded into a pending reset's snapshot is answered by the resubscribe that follows it, not left syncing", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 2 });
  const ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  s.reanchor({ limit: 4 });
  // the reset was still pending when the server read the reanchor: its snapshot is the new window, one ready for both
  for (const f of snapshotFrames("s1", 4, { eidPrefix: "o" })) ws.frame(f.op === "reset" ? { ...f, cause: "epoch" } : f);
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "syncing");
  assert.deepEqual(ws.sentOf("subscribe")[1], { action: "subscribe", sub: "s2", query: { table: "t", limit: 4 }, resume: "or" });
  ws.frame({ op: "ready", sub: "s2", has_more_before: false, has_more_after: true, resumed: true, eid: "or" }); // nothing to splice
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  assert.deepEqual(s.query, { table: "t", limit: 4 });
  assert.equal(s.rows.length, 4);
});

test("a reanchor field set to undefined is not named: the window stays where the server keeps it", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t", limit: 2, after: "c5" });
  let ws = c.last();
  ws.open();
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  let cursor; // a JS caller's "no cursor yet": JSON drops it, so the server keeps after c5
  s.reanchor({ limit: 3, after: cursor });
  assert.deepEqual(ws.sentOf("reanchor"), [{ action: "reanchor", sub: "s1", limit: 3 }]);
  assert.deepEqual(s.query, { table: "t", limit: 3, after: "c5" });
  s.reanchor({ after: "c7" }); // queued behind the first, merged with the next
  s.reanchor({ limit: 4, after: undefined, before: undefined });
  ws.frame({ op: "ready", sub: "s1", has_more_before: true, has_more_after: true, resumed: false, eid: "x1" });
  assert.deepEqual(ws.sentOf("reanchor")[1], { action: "reanchor", sub: "s1", after: "c7", limit: 4 });
  assert.deepEqual(s.query, { table: "t", limit: 4, after: "c7" });
  ws.serverClose(1006);
  c.timers.advance(retryDelay(c));
  ws = c.last();
  ws.open();
  assert.deepEqual(ws.sentOf("subscribe")[0].query, { table: "t", limit: 4, after: "c7" }, "a resubscribe does not move the window to the top");
});

test("a reanchor made during the first snapshot waits for its ready, and its error does not end the subscription", () => {
  const c = client();
  const errors = [];
  const s = c.lq.subscribe({ table: "t", limit: 2 }, { onError: e => errors.push(e.code) });
  const ws = c.last();
  ws.open();
  s.reanchor({ after: "bad" });
  assert.equal(ws.sentOf("reanchor").length, 0, "an error now could not be told from the subscribe's");
  const frames = snapshotFrames("s1", 2);
  for (const f of frames.slice(0, -1)) ws.frame(f);
  assert.equal(ws.sentOf("reanchor").length, 0);
  ws.frame(frames.at(-1));
  assert.deepEqual(ws.sentOf("reanchor"), [{ action: "reanchor", sub: "s1", after: "bad" }]);
  ws.frame({ op: "error", sub: "s1", code: "bad_query", message: "malformed cursor" });
  c.timers.advance(0);
  assert.deepEqual(errors, ["bad_query"]);
  assert.equal(s.closed, false);
  assert.ok(c.lq.subs.has("s1"));
  assert.deepEqual(s.query, { table: "t", limit: 2 });
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(s.getSnapshot().rows.length, 2);
});

test("a frame that does not fit the window is not applied: the subscription subscribes again, without resume, under a new sub id", () => {
  const misfits = [
    { op: "update", id: "r0", version: 2, row: { id: "r0" }, cursor: "c0", new_index: 3 }, // out of range: a hole
    { op: "leave", id: "r9", version: 2, old_index: 0 }, // another row at its index
    { op: "move", id: "r1", version: 2, row: { id: "r1" }, cursor: "c1", old_index: 1, new_index: 2 },
    { op: "enter", id: "r1", version: 2, row: { id: "r1" }, cursor: "c1", new_index: 0 }, // a row it has (a replay)
  ];
  for (const misfit of misfits) {
    const c = client();
    const s = c.lq.subscribe({ table: "t", limit: 2 });
    let ws = c.last();
    ws.open();
    for (const f of snapshotFrames("s1", 2)) ws.frame(f);
    c.timers.advance(0);
    ws.frame({ ...misfit, sub: "s1", eid: "bad" });
    ws.frame({ op: "leave", sub: "s1", id: "r0", version: 3, old_index: 0, eid: "later" }); // the old sub's: nobody's now
    c.timers.advance(0);
    assert.deepEqual(s.getSnapshot().rows.map(r => r.id), ["r0", "r1"], misfit.op + ": the rows as they were, no hole");
    assert.equal(s.getSnapshot().status, "syncing");
    assert.deepEqual(ws.sent.slice(-2), [
      { action: "unsubscribe", sub: "s1" },
      { action: "subscribe", sub: "s2", query: { table: "t", limit: 2 } },
    ], misfit.op + ": a fresh snapshot, not a resume that would carry the difference on");
    assert.equal(s.name, "s2");
    for (const f of snapshotFrames("s2", 2, { start: 5 })) ws.frame(f);
    c.timers.advance(0);
    assert.deepEqual(s.getSnapshot().rows.map(r => r.id), ["r5", "r6"]);
    assert.equal(s.getSnapshot().status, "live");
    ws.serverClose(1006);
    c.timers.advance(retryDelay(c));
    ws = c.last();
    ws.open();
    assert.deepEqual(ws.sentOf("subscribe").map(m => [m.sub, m.resume]), [["s2", "er"]]);
  }
});

test("a frame naming a sub like an Object.prototype member (constructor, toString, __proto__) is nobody's", () => {
  const errors = [];
  const c = client({ onError: e => errors.push(e.sub) });
  const changes = [];
  const s = c.lq.subscribe({ table: "t", limit: 2 }, { onChange: rows => changes.push(rows.length) });
  const ws = c.last();
  ws.open();
  for (const sub of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
    for (const f of snapshotFrames(sub, 1)) assert.doesNotThrow(() => ws.frame(f), sub);
    assert.doesNotThrow(() => ws.frame({ op: "error", sub, code: "unavailable", message: "x" }), sub);
    assert.doesNotThrow(() => ws.frame({ op: "closed", sub, cause: "revoked" }), sub);
  }
  assert.deepEqual(errors, ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"], "onError still hears them");
  for (const f of snapshotFrames("s1", 2)) ws.frame(f);
  c.timers.advance(0);
  assert.equal(s.getSnapshot().status, "live");
  assert.deepEqual(changes, [2]);
  assert.equal(Object.getPrototypeOf({}).s1, undefined, "nothing written onto Object.prototype");
});

test("closed frames reach onClosed; shutdown resumes, revoked ends", () => {
  const c = client();
  const got = [];
  const a = c.lq.subscribe({ table: "a" }, { onClosed: f => got.push([f.cause, f.final]) });
  const b = c.lq.subscribe({ table: "b" }, { onClosed: f => got.push([f.cause, f.final]) });
  const ws = c.last();
  ws.open();
  ws.frame({ op: "closed", sub: "s1", cause: "shutdown" });
  ws.frame({ op: "closed", sub: "s2", cause: "revoked" });
  assert.deepEqual(got, [["shutdown", false], ["revoked", true]]);
  assert.equal(a.closed, false);
  assert.equal(b.getSnapshot().status, "closed");
  ws.serverClose(1001);
  c.timers.advance(retryDelay(c));
  c.last().open();
  assert.deepEqual(c.last().sentOf("subscribe").map(m => m.sub), ["s1"]);
});

test("after close() no handler or listener runs, also for frames applied before it whose batch was not out yet", () => {
  const c = client();
  const heard = [];
  const s = c.lq.subscribe({ table: "t", limit: 2 }, { onChange: () => heard.push("change"), onReady: () => heard.push("ready") });
  c.last().open();
  for (const f of snapshotFrames("s1", 2)) c.last().frame(f);
  s.subscribe(() => heard.push("snapshot:" + s.getSnapshot().status));
  s.close();
  c.timers.advance(0);
  assert.deepEqual(heard, ["snapshot:closed"]);
  assert.deepEqual(s.getSnapshot().rows.map(r => r.id), ["r0", "r1"], "the last snapshot has what was applied");
});

test("close() sends unsubscribe and the subscription is not re-sent", () => {
  const c = client();
  const s = c.lq.subscribe({ table: "t" });
  c.last().open();
  s.close();
  assert.deepEqual(c.last().sentOf("unsubscribe"), [{ action: "unsubscribe", sub: "s1" }]);
  c.last().serverClose(1006);
  c.timers.advance(retryDelay(c));
  c.last().open();
  assert.equal(c.last().sentOf("subscribe").length, 0);
});
