// The client against a real gateway (the built jar), over a TCP proxy the test can cut.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { LiveQuery, LiveQueryError } from "../../dist/index.js";
import { startGateway, startProxy, until } from "../support/gateway.mjs";

let gw, proxy;
before(async () => {
  gw = await startGateway();
  proxy = await startProxy(gw.port);
}, { timeout: 300_000 });
after(async () => {
  await proxy?.close();
  await gw?.stop();
});

const ids = rows => rows.map(r => r.id);

/** The one-shot window (PROTOCOL §7) a live window must equal. */
async function truth(table, q) {
  // a client for its HTTP API only: closed, or its socket that never opens is retried for ever
  const lq = new LiveQuery(gw.url.replace("http", "ws") + "/v1/ws", { WebSocket: NoSocket });
  try {
    return (await lq.table(table).query(q)).rows;
  } finally {
    lq.close();
  }
}
class NoSocket { constructor() { this.readyState = 0; } close() {} send() {} }

/** The `ws` WebSocket, keeping the last 200 messages each way for failure messages. */
const transcript = [];
class RecordingSocket extends WebSocket {
  constructor(url) {
    super(url);
    this.addEventListener("message", ev => record("<- " + ev.data));
  }
  send(data) { record("-> " + data); super.send(data); }
}
function record(line) { transcript.push(line.slice(0, 300)); if (transcript.length > 200) transcript.shift(); }

function client(opts = {}) {
  const states = [];
  const lq = new LiveQuery(`ws://127.0.0.1:${proxy.port}/v1/ws`, {
    WebSocket: RecordingSocket, httpUrl: gw.url, onState: s => states.push(s), ...opts,
  });
  return { lq, states };
}

test("subscribe, cut the TCP connection mid-stream, resume without a reset, equal the one-shot query", async () => {
  const { lq } = client();
  const t = lq.table("items");
  for (let i = 0; i < 30; i++) await t.put({ id: "i" + String(i).padStart(2, "0"), price: i * 10, status: "open" });
  const q = { table: "items", where: { status: "open" }, order: [{ field: "price", dir: "desc" }], limit: 10 };
  const s = lq.subscribe(q);
  await s.whenReady();
  assert.deepEqual(ids(s.rows), ids(await truth("items", q)));
  assert.equal(s.resets, 1);

  proxy.cut({ refuse: true });
  await until(() => lq.state === "closed", 5_000, "the client to see the cut");
  // changes while it is cut off: one enters at the top, one leaves, one moves
  await t.put({ id: "top", price: 9999, status: "open" });
  await t.delete("i25");
  await t.patch("i28", { price: 5 });
  proxy.heal();
  await until(() => s.ready?.resumed && !s.syncing && lq.connects === 2, 15_000, "the resume");
  const want = await truth("items", q);
  await until(async () => JSON.stringify(s.rows.map(r => r.row)) === JSON.stringify(want), 5_000, "rows equal to the one-shot query");
  assert.equal(s.resets, 1, "no reset after the first snapshot");
  assert.equal(s.rows[0].id, "top");
  lq.close();
});

test("reanchor grows and slides the window; each lands on the one-shot query's window", async () => {
  const { lq } = client();
  const t = lq.table("grid");
  await t.batch({ upsert: Array.from({ length: 60 }, (_, i) => ({ id: "g" + String(i).padStart(2, "0"), n: i })) });
  const q = { table: "grid", order: [{ field: "n" }], limit: 10 };
  const s = lq.subscribe(q);
  await s.whenReady();
  s.reanchor({ limit: 25 });
  await s.whenReady();
  const say = () => JSON.stringify({ query: s.query, ready: s.ready, resets: s.resets, syncing: s.syncing, connects: lq.connects })
    + "\nlast messages:\n" + transcript.slice(-30).join("\n");
  assert.deepEqual(ids(s.rows), ids(await truth("grid", { ...q, limit: 25 })), say());
  const cursor = s.rows[9].cursor;
  s.reanchor({ after: cursor });
  await s.whenReady();
  assert.deepEqual(ids(s.rows), ids(await truth("grid", { ...q, limit: 25, after: cursor })), say());
  assert.equal(s.hasMoreBefore, true);
  // slide while cut off: carried by the resubscribe
  proxy.cut({ refuse: true });
  await until(() => lq.state === "closed", 5_000, "the cut");
  s.reanchor({ after: null, limit: 5 });
  proxy.heal();
  await until(() => !s.syncing && lq.connects === 2, 15_000, "the resume with the new window");
  assert.deepEqual(ids(s.rows), ids(await truth("grid", { ...q, limit: 5 })), say());
  assert.equal(s.resets, 1);
  lq.close();
});

test("a bad subscribe reaches onError and is not re-sent; the connection stays", async () => {
  const { lq } = client();
  const errors = [];
  const bad = lq.subscribe({ table: "items", where: { price: { nope: 1 } } }, { onError: e => errors.push(e.code) });
  await assert.rejects(bad.whenReady(), e => e.code === "bad_query");
  assert.deepEqual(errors, ["bad_query"]);
  assert.equal(bad.getSnapshot().status, "error");
  const good = lq.subscribe({ table: "items", limit: 1 });
  await good.whenReady();
  assert.equal(lq.connects, 1);
  lq.close();
});

test("writes: ifMatch compare-and-set, and an optimistic update rolled back when it fails", async () => {
  const { lq } = client();
  const t = lq.table("cas");
  const v1 = await t.put({ id: "a", qty: 1 });
  const v2 = await t.put({ id: "a", qty: 2 }, { ifMatch: v1.version });
  assert.ok(v2.version > v1.version);
  await assert.rejects(t.put({ id: "a", qty: 3 }, { ifMatch: v1.version }), e => e instanceof LiveQueryError && e.status === 412);
  assert.deepEqual((await t.get("a")).row.qty, 2);
  assert.equal(await t.get("missing"), null);

  const s = lq.subscribe({ table: "cas", limit: 10 });
  await s.whenReady();
  const shown = [];
  s.subscribe(() => shown.push(s.getSnapshot().rows[0]?.row.qty));
  const failing = t.patch("a", { qty: 99 }, { ifMatch: v1.version, optimistic: true });
  assert.equal(s.rows[0].row.qty, 99, "shown at once");
  assert.equal(s.rows[0].pending, true);
  await assert.rejects(failing, e => e.status === 412);
  assert.equal(s.rows[0].row.qty, 2, "rolled back");
  assert.deepEqual(shown.slice(0, 2), [99, 2]);

  await t.patch("a", { qty: 7 }, { optimistic: true });
  await until(() => s.rows[0].row.qty === 7 && !s.rows[0].pending, 5_000, "the server's frame to replace the overlay");
  assert.equal(s.rows[0].version, (await t.get("a")).version);
  lq.close();
});

test("liveEventSource: the same window over SSE, reanchored by resume + new window", async () => {
  const { EventSource } = await import("eventsource");
  const { liveEventSource } = await import("../../dist/index.js");
  const { lq } = client();
  const t = lq.table("sse");
  await t.batch({ upsert: Array.from({ length: 20 }, (_, i) => ({ id: "e" + String(i).padStart(2, "0"), n: i })) });
  const q = { table: "sse", order: [{ field: "n", dir: "desc" }], limit: 5 };
  const s = liveEventSource(gw.url + "/v1/live", q, {}, { EventSource });
  try {
    await s.whenReady();
    assert.deepEqual(ids(s.rows), ids(await truth("sse", q)));
    await t.put({ id: "e99", n: 99 });
    await until(() => s.rows[0]?.id === "e99", 5_000, "the live enter over SSE");
    s.reanchor({ limit: 8 });
    await until(() => !s.syncing && s.rows.length === 8, 5_000, "the SSE reanchor");
    assert.deepEqual(ids(s.rows), ids(await truth("sse", { ...q, limit: 8 })));
    assert.equal(s.resets, 1, "the reanchor sent only the splice");
  } finally {
    s.close();
    lq.close();
  }
});
