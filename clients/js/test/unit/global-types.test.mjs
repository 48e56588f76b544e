import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import vm from "node:vm";

// The script-tag build (build/livequery.js) and its ambient types (build/livequery.d.ts), as the
// gateway serves them: every value the .d.ts declares on the globals must exist at runtime, and
// every runtime member must be declared.
const root = new URL("../..", import.meta.url).pathname;
const js = readFileSync(path.join(root, "build/livequery.js"), "utf8");
const dts = readFileSync(path.join(root, "build/livequery.d.ts"), "utf8");

function loadGlobals() {
  const ctx = vm.createContext({});
  vm.runInContext(js, ctx);
  return ctx;
}

/** The values (not types) the .d.ts declares as members of `livequery`, and the global vars. */
function declared() {
  const start = dts.indexOf("declare namespace livequery {\n");
  assert.ok(start >= 0, "the .d.ts declares namespace livequery");
  const lines = dts.slice(start).split("\n");
  const end = lines.indexOf("}");
  const body = lines.slice(1, end);
  // an ambient namespace exports every declaration, `export` or not, unless it says `export {}`
  const explicit = body.includes("    export {};");
  const members = new Set();
  for (const l of body) {
    const m = /^ {4}(export )?(?:declare )?(?:abstract )?(?:function|class|const|let|var|enum|namespace) ([A-Za-z_$][\w$]*)/.exec(l);
    if (m && (m[1] || !explicit)) members.add(m[2]);
  }
  const vars = new Set();
  for (const l of lines.slice(end + 1)) {
    const m = /^declare (?:var|let|const|function|class) ([A-Za-z_$][\w$]*)/.exec(l);
    if (m) vars.add(m[1]);
  }
  return { members, vars };
}

test("every member of the global `livequery` that the script-tag .d.ts declares exists at runtime, and no other", () => {
  const g = loadGlobals();
  const { members } = declared();
  assert.ok(members.has("LiveQuery") && members.has("applyFrame"), "the parse finds the declarations");
  const missing = [...members].filter(n => !(n in g.livequery)).sort();
  assert.deepEqual(missing, [], "declared in livequery.d.ts but not on the global livequery");
  const undeclared = Object.keys(g.livequery).filter(n => !members.has(n)).sort();
  assert.deepEqual(undeclared, [], "on the global livequery but not declared in livequery.d.ts");
});

test("the global vars the script-tag .d.ts declares (besides the namespace) are the ones the script defines", () => {
  const g = loadGlobals();
  const { vars } = declared();
  assert.deepEqual([...vars].sort(), ["LiveQuery"]);
  assert.equal(g.LiveQuery, g.livequery.LiveQuery);
});

test("the script-tag .d.ts type-checks, and a script using the globals compiles against it", () => {
  const g = loadGlobals();
  const dir = mkdtempSync(path.join(tmpdir(), "lq-global-"));
  try {
    writeFileSync(path.join(dir, "livequery.d.ts"), dts);
    // each runtime member is reachable through the declarations; the script's own names stay hidden
    const uses = Object.keys(g.livequery).map(n => `void livequery.${n};`).join("\n");
    writeFileSync(path.join(dir, "page.ts"), `/// <reference path="./livequery.d.ts" />
${uses}
type Item = { id: string; title: string };
const lq = new LiveQuery("wss://example.test/v1/ws", { token: "t" });
const sub = lq.subscribe<Item>({ table: "items", limit: 10 }, { onChange: rows => rows.map(e => e.row.title) });
const rows: livequery.Entry<Item>[] = livequery.applyFrame<Item>([], { op: "leave", id: "x" } as livequery.Frame<Item>);
const v: string = livequery.version;
// @ts-expect-error: internal helper, not on the global
livequery.persistKey;
void sub; void rows; void v;
export {};
`);
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: "es2020", module: "es2020", lib: ["es2020", "dom"], skipLibCheck: false, types: [] },
      files: ["page.ts", "livequery.d.ts"],
    }));
    const r = spawnSync(path.join(root, "node_modules/.bin/tsc"), ["-p", "."], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
