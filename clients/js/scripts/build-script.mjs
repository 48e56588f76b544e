// Builds the script-tag client (one IIFE, no module loader) and its .d.ts into build/, from the
// same sources as the package. The gateway serves a committed copy (see scripts/sync-gateway.mjs).
import { build } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
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
 * re-exports dropped, inside `declare namespace livequery`. Names are unique across the sources,
 * so nothing collides.
 */
async function globalTypes(banner) {
  const files = ["types", "apply", "connection", "persist", "window", "subscription", "table", "sse", "client", "version"];
  let body = "";
  for (const f of files) {
    const text = await readFile(path.join(root, "dist", f + ".d.ts"), "utf8");
    body += text
      .split("\n")
      .filter(l => !/^import /.test(l) && !/^export \{\s*\};?$/.test(l) && !/^export (type )?\{.*\} from /.test(l))
      .map(l => l.replace(/^export declare /, "export ").replace(/^declare /, "").replace(/import\("\.\/[a-z]+\.js"\)\./g, ""))
      .join("\n") + "\n";
  }
  const indented = body.split("\n").map(l => (l ? "    " + l : l)).join("\n");
  return `${banner}\ndeclare namespace livequery {\n${indented}}\ndeclare var LiveQuery: typeof livequery.LiveQuery;\n`;
}
