import { test } from "node:test";
import assert from "node:assert/strict";
import { liveEventSource, sseUrl } from "../../dist/index.js";
import { FakeTimers, snapshotFrames } from "../support/fakes.mjs";

/** An EventSource that the test drives: frames in, errors (drops) in; remembers its URLs. */
function fakeEventSource() {
  const opened = [];
  class FakeEventSource {
    constructor(url, init) { this.url = url; this.init = init; this.readyState = 0; this.onmessage = this.onopen = this.onerror = null; opened.push(this); }
    close() { this.readyState = 2; }
    frame(f) { this.onmessage({ data: JSON.stringify(f), lastEventId: f.eid }); }
    drop() { this.readyState = 0; this.onerror({}); }
    reopen() { this.readyState = 1; this.onopen?.({}); }
    // a non-200 answer: EventSource gives up (the `eventsource` package says the status, browsers do not)
    refuse(code) { this.readyState = 2; this.onerror(code ? { code, message: `Non-200 status code (${code})` } : {}); }
  }
  return { FakeEventSource, opened };
}

test("SSE: a dropped stream is syncing until the resume's ready, keeping its rows", () => {
  const { FakeEventSource, opened } = fakeEventSource();
  const s = liveEventSource("/v1/live", { table: "t", order: [{ field: "n" }], limit: 2 }, undefined,
    { EventSource: FakeEventSource, schedule: fn => fn() });
  const es = opened[0];
  assert.match(es.url, /^\/v1\/live\/t\?order=n&limit=2$/);
  for (const f of snapshotFrames("s1", 2)) es.frame(f);
  assert.equal(s.syncing, false);
  es.drop();
  assert.equal(s.syncing, true, "syncing from the drop");
  assert.equal(s.getSnapshot().rows.length, 2);
  es.frame({ op: "ready", sub: "s1", eid: "er", has_more_before: false, has_more_after: false, resumed: true });
  assert.equal(s.syncing, false);
  assert.equal(s.ready.resumed, true);
  assert.equal(opened.length, 1, "EventSource itself reconnects");
});

test("SSE: stale ends with its stream; the reconnected stream is live at its ready", () => {
  const { FakeEventSource, opened } = fakeEventSource();
  const s = liveEventSource("/v1/live", { table: "t", limit: 2 }, undefined, { EventSource: FakeEventSource, schedule: fn => fn() });
  const es = opened[0];
  es.reopen();
  for (const f of snapshotFrames("s1", 2)) es.frame(f);
  es.frame({ op: "status", state: "stale" });
  assert.equal(s.getSnapshot().status, "stale");
  es.drop();
  es.reopen();
  es.frame({ op: "ready", eid: "er", has_more_before: false, has_more_after: false, resumed: true });
  assert.equal(s.getSnapshot().status, "live");
});

test("SSE: a refused stream ends the subscription with a coded error instead of syncing for ever", async () => {
  const { FakeEventSource, opened } = fakeEventSource();
  const errors = [];
  const s = liveEventSource("/v1/live", { table: "t", limit: 2, where: { x: { nope: 1 } } }, { onError: e => errors.push(e) },
    { EventSource: FakeEventSource, schedule: fn => fn() });
  const ready = s.whenReady();
  opened[0].refuse(400);
  assert.equal(s.getSnapshot().status, "error");
  assert.equal(s.error.code, "refused");
  assert.match(s.error.message, /400/);
  assert.deepEqual(errors.map(e => e.code), ["refused"]);
  await assert.rejects(ready, e => e.code === "refused");
  s.reanchor({ limit: 5 });
  assert.equal(opened.length, 1, "an ended subscription opens no stream");
});

test("SSE: a refused reanchor goes back to the window before it; an error frame ends the subscription", () => {
  const { FakeEventSource, opened } = fakeEventSource();
  const errors = [];
  const s = liveEventSource("/v1/live", { table: "t", limit: 2 }, { onError: e => errors.push(e.code) },
    { EventSource: FakeEventSource, schedule: fn => fn() });
  opened[0].reopen();
  for (const f of snapshotFrames("s1", 2)) opened[0].frame(f);
  s.reanchor({ after: "bad" });
  assert.match(opened[1].url, /after=bad&resume=er$/);
  opened[1].refuse(400);
  assert.deepEqual(errors, ["refused"]);
  assert.deepEqual(s.query, { table: "t", limit: 2 });
  assert.equal(opened.length, 3);
  assert.match(opened[2].url, /^\/v1\/live\/t\?limit=2&resume=er$/);
  opened[2].reopen();
  opened[2].frame({ op: "ready", eid: "er2", has_more_before: false, has_more_after: false, resumed: true });
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(s.getSnapshot().rows.length, 2);
  opened[2].frame({ op: "error", code: "unavailable", message: "shutting down" });
  assert.equal(s.getSnapshot().status, "error");
  assert.equal(s.error.code, "unavailable");
  assert.equal(opened[2].readyState, 2, "its stream is closed");
});

test("SSE: a frame that does not fit the window is not applied: a new stream without resume", () => {
  const { FakeEventSource, opened } = fakeEventSource();
  const s = liveEventSource("/v1/live", { table: "t", limit: 2 }, undefined, { EventSource: FakeEventSource, schedule: fn => fn() });
  opened[0].reopen();
  for (const f of snapshotFrames("s1", 2)) opened[0].frame(f);
  opened[0].frame({ op: "update", id: "r0", version: 2, row: { id: "r0" }, cursor: "c0", new_index: 5, eid: "bad" });
  assert.deepEqual(s.getSnapshot().rows.map(r => r.id), ["r0", "r1"]);
  assert.equal(s.getSnapshot().status, "syncing");
  assert.equal(opened.length, 2);
  assert.equal(opened[0].readyState, 2, "the old stream is closed");
  assert.match(opened[1].url, /^\/v1\/live\/t\?limit=2$/, "no resume");
  for (const f of snapshotFrames("s1", 2, { start: 3 })) opened[1].frame(f);
  assert.deepEqual(s.getSnapshot().rows.map(r => r.id), ["r3", "r4"]);
  assert.equal(s.getSnapshot().status, "live");
});

/** Lets getToken's answers (promises) reach the subscription. */
const settle = () => new Promise(ok => setImmediate(ok));
const param = (es, name) => new URL(es.url, "http://x").searchParams.get(name);

test("SSE: a base URL with its own query string keeps it; the table goes on its path", () => {
  const u = new URL(sseUrl("https://gw/v1/live?access_token=T&tenant=a", { table: "items", limit: 5 }, "e1"));
  assert.equal(u.pathname, "/v1/live/items");
  assert.deepEqual([...u.searchParams], [["access_token", "T"], ["tenant", "a"], ["limit", "5"], ["resume", "e1"]]);
  assert.equal(sseUrl("/v1/live/", { table: "items", limit: 5 }, null, "T2"), "/v1/live/items?limit=5&access_token=T2");
});

test("SSE: a fixed token travels as access_token; withCredentials reaches the EventSource", () => {
  const { FakeEventSource, opened } = fakeEventSource();
  liveEventSource("/v1/live", { table: "t", limit: 2 }, undefined,
    { EventSource: FakeEventSource, schedule: fn => fn(), token: "T", withCredentials: true });
  assert.equal(param(opened[0], "access_token"), "T");
  assert.equal(opened[0].init?.withCredentials, true);
});

test("SSE with getToken: a stream the server ends (the token expired) reconnects with a fresh token and resumes by its last eid", async () => {
  const { FakeEventSource, opened } = fakeEventSource();
  const timers = new FakeTimers();
  let n = 0;
  const errors = [];
  const s = liveEventSource("/v1/live?x=1", { table: "t", limit: 2 }, { onError: e => errors.push(e) },
    { EventSource: FakeEventSource, schedule: fn => fn(), timers, random: () => 0.5, getToken: async () => "T" + ++n });
  assert.equal(opened.length, 0, "no stream before getToken answers");
  await settle();
  assert.equal(opened.length, 1);
  assert.equal(param(opened[0], "access_token"), "T1");
  assert.equal(param(opened[0], "x"), "1");
  opened[0].reopen();
  for (const f of snapshotFrames("s1", 2)) opened[0].frame(f);
  // the server completes the response at the token's exp: EventSource would reconnect with T1, to a 401
  opened[0].drop();
  assert.equal(opened[0].readyState, 2, "the client closed it, to reconnect itself");
  assert.equal(s.syncing, true);
  timers.advance(999);
  await settle();
  assert.equal(opened.length, 1, "it waits as long as the server's retry asks (1 s)");
  timers.advance(1);
  await settle();
  assert.equal(opened.length, 2);
  assert.equal(param(opened[1], "access_token"), "T2");
  assert.equal(param(opened[1], "resume"), "er");
  opened[1].reopen();
  opened[1].frame({ op: "ready", eid: "er2", has_more_before: false, has_more_after: false, resumed: true });
  assert.equal(s.getSnapshot().status, "live");
  assert.equal(s.getSnapshot().rows.length, 2);
  assert.deepEqual(errors, []);
  // a stream refused 401 (the fresh token expired on the way; the `eventsource` package says the status) is tried again too
  opened[1].refuse(401);
  timers.advance(1000);
  await settle();
  assert.equal(opened.length, 3);
  assert.equal(param(opened[2], "access_token"), "T3");
  assert.equal(param(opened[2], "resume"), "er2");
  assert.equal(s.closed, false);
  // not a bad query
  opened[2].refuse(400);
  assert.equal(s.error.code, "refused");
  s.close();
  assert.deepEqual(timers.pending(), []);
});

test("SSE with getToken: a reconnect whose stream does not open waits longer each time; close() ends the waiting", async () => {
  const { FakeEventSource, opened } = fakeEventSource();
  const timers = new FakeTimers();
  const s = liveEventSource("/v1/live", { table: "t", limit: 2 }, undefined,
    { EventSource: FakeEventSource, schedule: fn => fn(), timers, random: () => 0.5, getToken: () => "T" });
  await settle();
  opened[0].drop();
  timers.advance(1000);
  await settle();
  opened[1].drop();
  assert.deepEqual(timers.pending(), [2000]);
  s.close();
  assert.deepEqual(timers.pending(), []);
  timers.advance(10_000);
  await settle();
  assert.equal(opened.length, 2);
});

test("SSE with getToken: the reconnect waits are jittered ±50 % and capped at 10 s", async () => {
  const waits = [];
  for (const r of [0, 0.99]) {
    const { FakeEventSource, opened } = fakeEventSource();
    const timers = new FakeTimers();
    const s = liveEventSource("/v1/live", { table: "t", limit: 2 }, undefined,
      { EventSource: FakeEventSource, schedule: fn => fn(), timers, random: () => r, getToken: () => "T" });
    const seen = [];
    for (let i = 0; i < 6; i++) {
      await settle();
      opened[i].drop();
      seen.push(...timers.pending());
      timers.advance(timers.pending()[0]);
    }
    s.close();
    waits.push(seen);
  }
  assert.deepEqual(waits[0], [500, 1000, 2000, 4000, 8000, 10_000]);
  assert.deepEqual(waits[1], [1490, 2980, 5960, 10_000, 10_000, 10_000]);
});

test("SSE: a final closed frame ends the subscription and its stream, as over WebSocket; shutdown does not", async () => {
  const { FakeEventSource, opened } = fakeEventSource();
  const told = [];
  const s = liveEventSource("/v1/live", { table: "t", limit: 2 }, { onClosed: c => told.push(c) },
    { EventSource: FakeEventSource, schedule: fn => fn() });
  opened[0].reopen();
  for (const f of snapshotFrames("s1", 2)) opened[0].frame(f);
  opened[0].frame({ op: "closed", cause: "shutdown" });
  assert.equal(s.closed, false);
  assert.equal(opened[0].readyState, 1);
  opened[0].frame({ op: "closed", cause: "revoked" });
  assert.deepEqual(told.map(c => [c.cause, c.final]), [["shutdown", false], ["revoked", true]]);
  assert.equal(s.closed, true);
  assert.equal(s.getSnapshot().status, "closed");
  assert.equal(opened[0].readyState, 2, "its stream is closed");
  await assert.rejects(s.whenReady(), e => e.code === "closed");
});

test("SSE: the frames a resume brings are live changes; those of a reanchor's stream are not", () => {
  const { FakeEventSource, opened } = fakeEventSource();
  const s = liveEventSource("/v1/live", { table: "t", limit: 3 }, undefined, { EventSource: FakeEventSource, schedule: fn => fn() });
  for (const f of snapshotFrames("s1", 3)) opened[0].frame(f);
  opened[0].drop();
  opened[0].frame({ op: "enter", id: "n0", version: 2, row: { id: "n0" }, cursor: "cn0", new_index: 0, eid: "n0" });
  assert.equal(s.getSnapshot().frames[0].live, true, "missed while the stream was down");
  opened[0].frame({ op: "ready", eid: "r1", has_more_before: false, has_more_after: true, resumed: true });
  s.reanchor({ limit: 4 });
  opened[1].drop(); // the reanchor's stream resumes: its frames still turn the window into the new one
  opened[1].frame({ op: "enter", id: "r3", version: 1, row: { id: "r3" }, cursor: "c3", new_index: 3, eid: "e4" });
  assert.equal(s.getSnapshot().frames[0].live, false);
});
