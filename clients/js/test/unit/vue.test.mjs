// ./vue against the real vue package: refs inside an effect scope, fed by the fake socket and timers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { effectScope, isShallow, nextTick, ref, watch } from "vue";
import { LiveQuery } from "../../dist/index.js";
import { useLiveQuery } from "../../dist/vue.js";
import { FakeTimers, fakeSocketClass, snapshotFrames } from "../support/fakes.mjs";

function client() {
  const timers = new FakeTimers();
  const { FakeSocket, sockets } = fakeSocketClass();
  const lq = new LiveQuery("ws://gw.test/v1/ws", { WebSocket: FakeSocket, timers, random: () => 0.5,
    events: new EventTarget(), document: Object.assign(new EventTarget(), { hidden: false }) });
  return { lq, timers, last: () => sockets[sockets.length - 1] };
}

test("useLiveQuery: shallowRefs set once per applied batch, closed with the scope", () => {
  const c = client();
  const scope = effectScope();
  const q = scope.run(() => useLiveQuery({ table: "t", limit: 5 }, { client: c.lq }));
  assert.ok(isShallow(q.rows) && isShallow(q.snapshot), "shallow: the frozen rows are not made deeply reactive");
  assert.equal(q.status.value, "syncing");
  const seen = [];
  scope.run(() => watch(q.rows, rows => seen.push(rows.map(r => r.id)), { flush: "sync" }));
  c.last().open();
  assert.equal(c.last().sentOf("subscribe").length, 1);
  for (const f of snapshotFrames("s1", 3)) c.last().frame(f);
  assert.deepEqual(seen, [], "nothing before the batch is published");
  c.timers.advance(0);
  assert.deepEqual(seen, [["r0", "r1", "r2"]], "one update for the whole batch");
  assert.equal(q.status.value, "live");
  assert.equal(q.hasMoreAfter.value, true);
  assert.equal(q.snapshot.value, q.subscription.value.getSnapshot());
  assert.ok(Object.isFrozen(q.rows.value));
  const first = q.snapshot.value;
  c.last().frame({ op: "leave", sub: "s1", id: "r1", version: 2, old_index: 1, eid: "x1" });
  c.timers.advance(0);
  assert.deepEqual(seen.at(-1), ["r0", "r2"]);
  assert.notEqual(q.snapshot.value, first);
  q.reanchor({ limit: 10 });
  assert.deepEqual(c.last().sentOf("reanchor").map(m => m.limit), [10]);
  scope.stop();
  assert.deepEqual(c.last().sentOf("unsubscribe").map(m => m.sub), ["s1"], "disposing the scope closes the subscription");
  c.lq.close();
});

test("useLiveQuery: a query ref that changes by value resubscribes; null closes", async () => {
  const c = client();
  const query = ref({ table: "t", limit: 5 });
  const scope = effectScope();
  const q = scope.run(() => useLiveQuery(query, { client: c.lq }));
  c.last().open();
  for (const f of snapshotFrames("s1", 2)) c.last().frame(f);
  c.timers.advance(0);
  assert.equal(q.rows.value.length, 2);
  query.value = { table: "t", limit: 5 };   // same value: no new subscription
  await nextTick();
  assert.equal(c.last().sentOf("subscribe").length, 1);
  query.value = { table: "t", limit: 7 };
  await nextTick();
  assert.deepEqual(c.last().sentOf("unsubscribe").map(m => m.sub), ["s1"]);
  assert.deepEqual(c.last().sentOf("subscribe").map(m => m.query.limit), [5, 7]);
  assert.equal(q.rows.value.length, 0, "the new subscription starts empty");
  assert.equal(q.status.value, "syncing");
  query.value = null;
  await nextTick();
  assert.equal(c.last().sentOf("unsubscribe").length, 2);
  assert.equal(q.subscription.value, null);
  scope.stop();
  c.lq.close();
});

test("useLiveQuery without a client says how to give one", () => {
  const scope = effectScope();
  assert.throws(() => scope.run(() => useLiveQuery({ table: "t", limit: 1 })), /provideLiveQuery/);
  scope.stop();
});
