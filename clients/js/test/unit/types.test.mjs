import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

// test/types/transports.ts: the WebSocket and EventSource classes of `ws`, `eventsource` and the
// browser fit the options that take them, under strict.
test("the socket and EventSource classes the docs name type-check as the client's options", () => {
  const tsc = new URL("../../node_modules/.bin/tsc", import.meta.url).pathname;
  const dir = new URL("../types", import.meta.url).pathname;
  const r = spawnSync(tsc, ["-p", "tsconfig.json"], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
