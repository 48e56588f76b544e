// Copies the script-tag build into the gateway's resources, where the Maven build (which must not
// need npm) picks it up. test/unit/gateway-copy.test.mjs fails when the two differ.
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dest = path.join(root, "../../gateway/src/main/resources/client");
await mkdir(dest, { recursive: true });
for (const f of ["livequery.js", "livequery.d.ts"]) await copyFile(path.join(root, "build", f), path.join(dest, f));
console.log("copied build/livequery.js and .d.ts to " + path.relative(process.cwd(), dest));
