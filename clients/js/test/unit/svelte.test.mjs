// ./svelte: the store contract, checked with the real svelte/store helpers (get, derived).
import { test } from "node:test";
import assert from "node:assert/strict";
import { derived, get } from "svelte/store";
import { LiveQuery } from "../../dist/index.js";
import { liveQuery } from "../../dist/svelte.js";
import { FakeTimers, fakeSocketClass, snapshotFrames } from "../support/fakes.mjs";

function client() {
  const timers = new FakeTimers();
  const { FakeSocket, sockets } = fakeSocketClass();
  const lq = new LiveQuery("ws://gw.test/v1/ws", { WebSocket: FakeSocket, timers, random: () => 0.5,
    events: new EventTarget(), document: Object.assign(new EventTarget(), { hidden: false }) });
  return { lq, timers, sockets, last: () => sockets[sockets.length - 1] };
}

test("liveQuery: subscribes with the first store subscriber, a snapshot per batch, closes with the last", () => {
  const c = client();
  const store = liveQuery(c.lq, { table: "t", limit: 5 });
  assert.equal(store.subscription, null, "nothing opened before anyone subscribes");
  const ids = derived(store, s => s.rows.map(r => r.id));
  const seen = [];
  const offIds = ids.subscribe(v => seen.push(v));
  const snaps = [];
  const offSnaps = store.subscribe(s => snaps.push(s));
  assert.deepEqual(seen, [[]]);
  c.last().open();
  assert.equal(c.last().sentOf("subscribe").length, 1, "two subscribers share one subscription");
  for (const f of snapshotFrames("s1", 3)) c.last().frame(f);
  c.timers.advance(0);
  assert.deepEqual(seen, [[], ["r0", "r1", "r2"]]);
  assert.equal(snaps.at(-1).status, "live");
  assert.ok(Object.isFrozen(snaps.at(-1)));
  assert.equal(get(store), snaps.at(-1), "get() sees the current snapshot");
  store.reanchor({ limit: 9 });
  assert.deepEqual(c.last().sentOf("reanchor").map(m => m.limit), [9]);
  offSnaps();
  assert.equal(c.last().sentOf("unsubscribe").length, 0, "still one subscriber");
  offIds();
  assert.deepEqual(c.last().sentOf("unsubscribe").map(m => m.sub), ["s1"]);
  assert.equal(store.subscription, null);
  const again = store.subscribe(() => {});
  assert.equal(c.last().sentOf("subscribe").length, 2, "a new subscriber opens a new subscription");
  again();
  c.lq.close();
});
