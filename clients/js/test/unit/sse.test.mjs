import { test } from "node:test";
import assert from "node:assert/strict";
import { liveEventSource } from "../../dist/index.js";
import { snapshotFrames } from "../support/fakes.mjs";

/** An EventSource that the test drives: frames in, errors (drops) in; remembers its URLs. */
function fakeEventSource() {
  const opened = [];
  class FakeEventSource {
    constructor(url) { this.url = url; this.readyState = 0; this.onmessage = this.onopen = this.onerror = null; opened.push(this); }
    close() { this.readyState = 2; }
    frame(f) { this.onmessage({ data: JSON.stringify(f), lastEventId: f.eid }); }
    drop() { this.readyState = 0; this.onerror({}); }
    reopen() { this.readyState = 1; this.onopen?.({}); }
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
