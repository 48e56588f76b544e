// `npm pack` produces a package that a fresh project installs from the tarball and type-checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tsc = path.join(root, "node_modules/.bin/tsc");

test("the packed tarball installs into a fresh project, imports and type-checks", { timeout: 240_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "lq-pack-"));
  try {
    execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    const tgz = readdirSync(dir).find(f => f.endsWith(".tgz"));
    assert.ok(tgz, "npm pack wrote a tarball");
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // no runtime dependencies, so nothing but the tarball is needed; vue and react (optional peers)
    // only to type-check and run the ./vue and ./react entries as an app would; not
    // @tanstack/react-virtual, which only ./react-virtual needs. --prefer-offline, not --offline:
    // `npm ci` caches tarballs but not the registry metadata that resolving vue@<version> needs
    const dev = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).devDependencies;
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent", "./" + tgz, "vue@" + dev.vue, "react@" + dev.react],
      { cwd: dir, stdio: "inherit" });
    const installed = JSON.parse(readFileSync(path.join(dir, "node_modules/@livequery/client/package.json"), "utf8"));
    assert.deepEqual(Object.keys(installed.exports), [".", "./react", "./react-virtual", "./store", "./vue", "./svelte", "./virtual", "./package.json"]);
    for (const peer of ["react", "vue", "svelte", "@tanstack/react-virtual"]) {
      assert.equal(installed.peerDependenciesMeta[peer]?.optional, true, `${peer} is an optional peer`);
    }
    writeFileSync(path.join(dir, "app.ts"), `
import { LiveQuery, protocolVersion, type Query, type Frame, type Cursor, type PageEvents } from "@livequery/client";
import { readable } from "@livequery/client/store";
import { LiveVirtualWindow } from "@livequery/client/virtual";
import { liveQuery, type Readable } from "@livequery/client/svelte";
import { useLiveQuery } from "@livequery/client/vue";
import { effectScope, type ShallowRef } from "vue";
type Item = { id: string; price: number; status: "open" | "closed" };
const q: Query<Item> = { table: "items", where: { status: "open", price: { gte: 10 } }, order: [{ field: "price", dir: "desc" }], limit: 50 };
// @ts-expect-error: order keys are fields of the row type
const bad: Query<Item> = { table: "items", order: [{ field: "nope" }], limit: 5 };
const lq = new LiveQuery("ws://localhost:8080/v1/ws", { getToken: async () => "t", onState: s => console.log(s) });
const sub = lq.subscribe(q, { onChange: (rows, frames: Frame<Item>[]) => rows[0]?.row.price.toFixed(2) });
const c: Cursor | undefined = sub.getSnapshot().rows[0]?.cursor;
void lq.table<Item>("items").patch("a1", { price: 15, status: null }, { ifMatch: 7, optimistic: true }); // null deletes a field (PROTOCOL §7)
// @ts-expect-error: a patch is typed by the row type
void lq.table<Item>("items").patch("a1", { price: "15" });
// @ts-expect-error: a cursor is not any string
sub.reanchor({ after: "plain string" });
if (c) sub.reanchor({ after: c });
readable(sub).subscribe(s => s.rows.length);
// the page's events: a window and its document, an EventTarget, a target whose listeners take nothing, or one that passes the event
const pageOk: PageEvents[] = [window, document, new EventTarget()];
const quiet = { addEventListener(t: string, f: () => void) { void t; void f; }, removeEventListener(t: string, f: () => void) { void t; void f; } };
const bfcache: PageEvents = { addEventListener(t, f) { if (t === "pageshow") f({ type: t, persisted: true }); }, removeEventListener() {} };
void new LiveQuery("ws://localhost:8080/v1/ws", { events: window, document });
void new LiveQuery("ws://localhost:8080/v1/ws", { events: quiet, document: { hidden: false, ...quiet } });
void new LiveQuery("ws://localhost:8080/v1/ws", { events: bfcache });
void pageOk;
new LiveVirtualWindow(sub, { page: 50 });
const store = liveQuery(lq, q);
const asStore: Readable<{ rows: readonly { row: Item }[] }> = store;
store.subscribe(s => s.rows[0]?.row.status === "open");
effectScope().run(() => {
  const { rows, reanchor } = useLiveQuery(() => q, { client: lq });
  const r: ShallowRef<readonly { id: string; row: Item }[]> = rows;
  // @ts-expect-error: rows are typed by the query's row type
  rows.value[0]?.row.nope;
  if (c) reanchor({ before: c });
  void r;
});
void asStore;
const f = {} as Frame<Item>;
if (f.op === "move") console.log(f.old_index, f.row.price);
export const v: 1 = protocolVersion as 1;
void bad; lq.close();
`);
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2023", "dom"], skipLibCheck: false, types: [] },
      files: ["app.ts"],
    }));
    execFileSync(tsc, ["-p", "."], { cwd: dir, stdio: "inherit" });
    const out = execFileSync("node", ["--input-type=module", "-e",
      "import { protocolVersion, version, LiveQuery } from '@livequery/client'; import { liveQuery } from '@livequery/client/svelte'; import { useLiveQuery } from '@livequery/client/vue';"
      + " import { useLiveQuery as useReact } from '@livequery/client/react';"
      + " console.log(protocolVersion, version, typeof LiveQuery.apply, typeof liveQuery, typeof useLiveQuery, typeof useReact)"],
      { cwd: dir, encoding: "utf8" });
    assert.match(out, /^1 \d+\.\d+\.\d+ function function function function/, "./react loads without @tanstack/react-virtual");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
