import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

// npm test builds first, so build/ is fresh from src/; the gateway serves a committed copy.
for (const f of ["livequery.js", "livequery.d.ts"]) {
  test(`the gateway's committed ${f} equals a fresh build (else: npm run build && npm run sync-gateway)`, () => {
    const fresh = readFileSync(new URL("../../build/" + f, import.meta.url), "utf8");
    const served = readFileSync(new URL("../../../../gateway/src/main/resources/client/" + f, import.meta.url), "utf8");
    assert.ok(fresh.length > 1000);
    assert.equal(served, fresh);
  });
}
