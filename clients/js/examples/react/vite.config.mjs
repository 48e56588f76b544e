import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

// Resolves the package to its sources, as an app that installed @livequery/client would to dist/.
const src = p => fileURLToPath(new URL("../../src/" + p, import.meta.url));
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  resolve: {
    alias: [
      { find: /^@livequery\/client\/react$/, replacement: src("react.ts") },
      { find: /^@livequery\/client\/react-virtual$/, replacement: src("react-virtual.ts") },
      { find: /^@livequery\/client$/, replacement: src("index.ts") },
    ],
  },
  build: { outDir: fileURLToPath(new URL("../../build/example-react", import.meta.url)), emptyOutDir: true },
});
