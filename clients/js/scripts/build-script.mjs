// Builds the script-tag client (one IIFE, no module loader) and its .d.ts into build/, from the
// same sources as the package. The gateway serves a committed copy (see scripts/sync-gateway.mjs).
import { build } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
const out = path.join(root, "build");
await mkdir(out, { recursive: true });

const banner = `/* @livequery/client ${pkg.version} (script-tag build; protocol v1). Apache-2.0. */`;
const result = await build({
  entryPoints: [path.join(root, "src/global.ts")],
  bundle: true,
  format: "iife",
  target: "es2020",
  minify: false,
  legalComments: "none",
  banner: { js: banner },
  write: false,
  logLevel: "warning",
});
await writeFile(path.join(out, "livequery.js"), result.outputFiles[0].text);
await writeFile(path.join(out, "livequery.d.ts"), await globalTypes(banner));

/**
 * One ambient .d.ts for the globals: the compiled declarations of the package, their imports and
 * re-exports dropped, inside `declare namespace livequery`. The files are those dist/index.d.ts
 * reaches; a declaration is exported from the namespace only when index.ts exports its name, as
 * the global `livequery` is index.ts's module object (src/global.ts): helpers other files share
 * (persistKey, tokenTimes, ...) stay declared for the types that use them but are not members.
 * Fails the build when a name is declared by two files, when an export of index.ts is not found,
 * or when the declared values differ from the runtime exports of dist/index.js.
 */
async function globalTypes(banner) {
  const dist = path.join(root, "dist");
  const read = f => readFile(path.join(dist, f + ".d.ts"), "utf8");
  const local = /["']\.\/([\w-]+)\.js["']/g;

  // the files: dependencies first, from index.d.ts's imports and re-exports
  const files = [];
  const seen = new Set();
  const visit = async f => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const m of (await read(f)).matchAll(local)) await visit(m[1]);
    if (f !== "index") files.push(f);
  };
  await visit("index");

  // the names index.ts exports
  const exported = new Set();
  for (const line of (await read("index")).split("\n")) {
    if (!line.trim() || line === "export {};") continue;
    let m = /^export (?:type )?\{(.*)\} from ["']\.\/([\w-]+)\.js["'];$/.exec(line);
    if (m) {
      for (const spec of m[1].split(",").map(s => s.trim()).filter(Boolean)) {
        const n = /^(?:type )?([\w$]+)$/.exec(spec);
        if (!n) throw new Error(`build-script: index.d.ts: cannot map "${spec}" onto the global namespace (no aliases)`);
        exported.add(n[1]);
      }
      continue;
    }
    m = /^export (?:type )?\* from ["']\.\/([\w-]+)\.js["'];$/.exec(line);
    if (m) {
      for (const d of (await read(m[1])).split("\n").map(declaration)) if (d?.exported) exported.add(d.name);
      continue;
    }
    throw new Error("build-script: index.d.ts: a form of export this script does not handle: " + line);
  }

  let body = "";
  const declaredIn = new Map();
  const values = new Set();
  for (const f of files) {
    const text = await read(f);
    body += text
      .split("\n")
      .filter(l => !/^import /.test(l) && !/^export \{\s*\};?$/.test(l) && !/^export (type )?(\{.*\}|\*) from /.test(l))
      .map(l => {
        const d = declaration(l);
        if (!d) return l.replace(/import\("\.\/[\w-]+\.js"\)\./g, "");
        const other = declaredIn.get(d.name);
        if (other && other !== f) throw new Error(`build-script: ${d.name} is declared by ${other}.d.ts and ${f}.d.ts`);
        declaredIn.set(d.name, f);
        const member = exported.has(d.name);
        if (member && d.value) values.add(d.name);
        return (member ? "export " : "") + d.rest.replace(/import\("\.\/[\w-]+\.js"\)\./g, "");
      })
      .join("\n") + "\n";
  }
  const lost = [...exported].filter(n => !declaredIn.has(n));
  if (lost.length) throw new Error("build-script: exported by index.d.ts but not declared in the files it reaches: " + lost.join(", "));
  const runtime = Object.keys(await import(pathToFileURL(path.join(dist, "index.js")).href)).sort();
  if (JSON.stringify(runtime) !== JSON.stringify([...values].sort())) {
    throw new Error(`build-script: the declared values [${[...values].sort()}] are not dist/index.js's exports [${runtime}]`);
  }
  const indented = body.split("\n").map(l => (l ? "    " + l : l)).join("\n");
  // `export {}`: without it every declaration of an ambient namespace is exported, `export` or not
  return `${banner}\ndeclare namespace livequery {\n${indented}    export {};\n}\ndeclare var LiveQuery: typeof livequery.LiveQuery;\n`;
}

/** A top-level declaration of a .d.ts: its name, whether it is exported and a value, and the line without `export`/`declare`. */
function declaration(line) {
  const m = /^(export )?(declare )?((?:abstract )?(type|interface|function|class|const|let|var|enum|namespace) ([A-Za-z_$][\w$]*)\b.*)$/.exec(line);
  if (!m) return null;
  return { name: m[5], exported: !!m[1], value: m[4] !== "type" && m[4] !== "interface", rest: m[3] };
}
