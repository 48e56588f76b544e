import type { Cursor, RowBase, Where, OrderKey } from "./types.js";
import type { LiveWindow } from "./window.js";

export type FetchLike = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) =>
  Promise<{ ok: boolean; status: number; json(): Promise<any>; text(): Promise<string> }>;

/** The fields a PATCH merges into a row (PROTOCOL §7): `null` deletes a field. */
export type Patch<Row> = { [K in keyof Row]?: Row[K] | null };

export type WriteOptions = {
  /** compare-and-set: the write succeeds only if the row is at this version (else 412) */
  ifMatch?: number;
  /** show the change in this client's windows at once; rolled back if the write fails */
  optimistic?: boolean;
};

/**
 * A failed call, with a code: an HTTP call's is that of PROTOCOL §7 (`version_mismatch`,
 * `not_found`, …), or for an answer that is not JSON (a proxy's page) `unavailable` for a 5xx and
 * `http_<status>` otherwise; `status` is its HTTP status, 0 for what is not an HTTP call (`stopped`).
 */
export class LiveQueryError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "LiveQueryError";
  }
}

export type OneShot<Row> = { rows: Row[]; cursors: Cursor[]; has_more_after: boolean; [k: string]: unknown };

/**
 * The HTTP API of one table (PROTOCOL §7). Optimistic writes overlay the windows of this client
 * that hold the row, and the overlay goes when the server's frame for the row arrives (it wins,
 * whether it confirms or contradicts the write), when the row leaves the window (a leave, or a
 * reset whose snapshot lacks it) or when the write fails.
 */
export class Table<Row extends RowBase = RowBase> {
  constructor(
    private readonly base: string,
    readonly name: string,
    private readonly fetcher: FetchLike,
    private readonly token: () => string | undefined | Promise<string | undefined>,
    private readonly windows: () => LiveWindow<Row>[],
  ) {}

  /** Replaces or inserts a row. */
  put(row: Row, opts: WriteOptions = {}): Promise<{ id: string; version: number }> {
    return this.write("PUT", row.id, row, opts, () => row);
  }

  /** Merges top-level fields (null deletes a field); 404 if the row is absent. */
  patch(id: string, fields: Patch<Row>, opts: WriteOptions = {}): Promise<{ id: string; version: number }> {
    return this.write("PATCH", id, fields, opts, current => current && mergePatch(current, fields));
  }

  delete(id: string, opts: WriteOptions = {}): Promise<{ id: string; version: number }> {
    return this.write("DELETE", id, undefined, opts, () => null);
  }

  /** Upserts and deletes, each row atomically (PROTOCOL §7). */
  batch(change: { upsert?: Row[]; delete?: string[] }): Promise<unknown> {
    return this.call("POST", `/batch`, { upsert: change.upsert ?? [], delete: change.delete ?? [] });
  }

  /** One row with its version, or null if absent. */
  async get(id: string): Promise<{ id: string; version: number; row: Row } | null> {
    try {
      return await this.call("GET", `/rows/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e instanceof LiveQueryError && e.status === 404) return null;
      throw e;
    }
  }

  /** A one-shot window (not live). */
  query(q: { where?: Where<Row>; order?: readonly OrderKey<Row>[]; limit?: number; after?: Cursor; before?: Cursor } = {}): Promise<OneShot<Row>> {
    const p = new URLSearchParams();
    if (q.where) p.set("where", JSON.stringify(q.where));
    if (q.order) p.set("order", q.order.map(k => (k.dir === "desc" ? "-" : "") + k.field).join(","));
    if (q.limit) p.set("limit", String(q.limit));
    if (q.after) p.set("after", q.after);
    if (q.before) p.set("before", q.before);
    return this.call("GET", `/query?${p}`);
  }

  private async write(method: string, id: string, body: unknown, opts: WriteOptions,
      next: (current: Row | null) => Row | null): Promise<{ id: string; version: number }> {
    const shown: LiveWindow<Row>[] = [];
    if (opts.optimistic) {
      for (const w of this.windows()) {
        const current = w.rows.find(e => e.id === id);
        if (!current) continue;
        w.overlay(id, next(current.row));
        shown.push(w);
      }
    }
    const headers: Record<string, string> = {};
    if (opts.ifMatch !== undefined) headers["If-Match"] = String(opts.ifMatch);
    try {
      const r = await this.call<{ id: string; version: number }>(method, `/rows/${encodeURIComponent(id)}`, body, headers);
      for (const w of shown) w.confirm(id, r.version);
      return r;
    } catch (e) {
      for (const w of shown) w.dropOverlay(id);
      throw e;
    }
  }

  private async call<T = any>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<T> {
    const headers: Record<string, string> = { ...extra };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const t = await this.token();
    if (t) headers["Authorization"] = "Bearer " + t;
    const res = await this.fetcher(`${this.base}/v1/tables/${this.name}${path}`,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not the gateway's answer (every one is JSON) but, say, a proxy's page: a 5xx passes, as unavailable
      const code = res.ok ? "bad_response" : res.status >= 500 ? "unavailable" : "http_" + res.status;
      throw new LiveQueryError(res.status, code, `HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const err = json?.error ?? {};
      throw new LiveQueryError(res.status, err.code ?? "http_" + res.status, err.message ?? text);
    }
    return json as T;
  }
}

function mergePatch<Row>(row: Row, fields: Patch<Row>): Row {
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const [k, v] of Object.entries(fields)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out as Row;
}
