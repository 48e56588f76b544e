import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import * as api from "../../dist/index.js";

test("the exported version is package.json's and the protocol is v1", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  assert.equal(api.version, pkg.version);
  assert.match(pkg.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  assert.equal(api.protocolVersion, 1);
});

test("the core has no runtime dependencies", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
});

test("./react loads without its optional peer @tanstack/react-virtual; ./react-virtual has the virtualizer hook", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const react = readFileSync(new URL("../../dist/react.js", import.meta.url), "utf8");
  assert.doesNotMatch(react, /@tanstack\/react-virtual/);
  const virtual = readFileSync(new URL("../../dist/react-virtual.js", import.meta.url), "utf8");
  assert.match(virtual, /export function useLiveVirtualizer/);
  assert.deepEqual(pkg.exports["./react-virtual"], { types: "./dist/react-virtual.d.ts", default: "./dist/react-virtual.js" });
});

test("the sources use no library API newer than ES2020, the script-tag build's target (scripts/build-script.mjs)", () => {
  const tsc = new URL("../../node_modules/.bin/tsc", import.meta.url).pathname;
  const root = new URL("../..", import.meta.url).pathname;
  const r = spawnSync(tsc, ["-p", "tsconfig.json", "--noEmit", "--lib", "es2020,dom"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
