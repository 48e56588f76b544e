// A real gateway for the integration and browser suites: the built jar (java -jar) on a free port,
// and a TCP proxy in front of it whose connections a test can cut.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync, readdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
export const jar = process.env.LIVEQUERY_JAR ?? path.join(repo, "gateway/target/livequery-gateway.jar");

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the gateway jar with the Maven wrapper when it is missing or older than its sources. */
export function ensureJar() {
  if (process.env.LIVEQUERY_JAR) return jar;
  const src = Math.max(...["livequery-core/src/main", "shard/src/main", "gateway/src/main"].map(d => newestSource(path.join(repo, d))));
  if (existsSync(jar) && statSync(jar).mtimeMs >= src) return jar;
  const r = spawnSync("bash", ["-c", ". bin/jdk && ./mvnw -B -q -o -pl gateway -am package -DskipTests"], { cwd: repo, stdio: "inherit" });
  if (r.status !== 0) throw new Error("building the gateway jar failed (see the Maven output above)");
  return jar;
}

/** Polls `fn` until it returns a truthy value (or stops throwing) within `ms`. */
export async function until(fn, ms = 15_000, what = "condition") {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}` + (last ? ": " + (last.stack ?? last) : ""));
    await new Promise(r => setTimeout(r, 50));
  }
}

/**
 * Starts `java -jar`; resolves when /health answers 200. Without `port` the gateway binds port 0 and
 * the port is read from its "listening on" line: a port picked here and bound later could be taken
 * in between by another process on a busy machine (seen once: every test of a suite failed).
 */
export async function startGateway({ port, env = {} } = {}) {
  ensureJar();
  const log = [];
  const child = spawn("bash", ["-c", `. bin/jdk && exec java -Xmx256m -jar "${jar}"`], {
    cwd: repo,
    env: { ...process.env, SERVER_PORT: String(port ?? 0), LIVEQUERY_DEMO_ENABLED: "false", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const s of [child.stdout, child.stderr]) s.on("data", d => { log.push(String(d)); if (log.length > 500) log.shift(); });
  let exited = null;
  child.on("exit", code => { exited = code; });
  const state = await until(async () => {
    if (exited !== null) return "exited";
    port ??= Number(/listening on http:\/\/localhost:(\d+)\//.exec(log.join(""))?.[1]) || undefined;
    if (port === undefined) return false;
    const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    return r?.status === 200 && "up";
  }, 60_000, "the gateway's /health");
  if (state === "exited") throw new Error("gateway exited with " + exited + ":\n" + log.join(""));
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    log,
    async stop() {
      if (exited !== null) return;
      const done = new Promise(r => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

/** A TCP proxy to `port`; cut() drops every connection through it, as a network failure would. */
export async function startProxy(targetPort) {
  const conns = new Set();
  let refusing = false;
  const server = net.createServer(client => {
    if (refusing) return client.destroy();
    const upstream = net.connect(targetPort, "127.0.0.1");
    const pair = [client, upstream];
    conns.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); conns.delete(pair); };
    client.on("error", drop); upstream.on("error", drop);
    client.on("close", drop); upstream.on("close", drop);
  });
  await new Promise(r => server.listen(0, "127.0.0.1", r));
  return {
    port: server.address().port,
    get connections() { return conns.size; },
    /** Cuts every connection; with refuse, also refuses new ones until heal(). */
    cut({ refuse = false } = {}) {
      refusing = refuse;
      for (const [a, b] of [...conns]) { a.destroy(); b.destroy(); }
      conns.clear();
    },
    heal() { refusing = false; },
    close() { this.cut(); return new Promise(r => server.close(r)); },
  };
}
