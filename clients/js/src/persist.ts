import type { Eid, Entry, Query, RowBase } from "./types.js";

/** The part of the Web Storage API persistence uses (sessionStorage, localStorage or a test double). */
export type KeyValueStorage = {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
};

/** Opt-in persistence of a subscription's window, so a reload paints at once and resumes by eid. */
export type PersistOptions = {
  /** where to keep it; default sessionStorage (per tab, survives reload and back/forward) */
  storage?: KeyValueStorage;
  /** default: derived from the endpoint and the query as subscribed: its shape and window (limit, after, before) */
  key?: string;
};

export type Saved<Row extends RowBase> = { v: 1; query: Query<Row>; rows: Entry<Row>[]; eid: Eid };

/**
 * The key of a query as subscribed, window included, so that two windows of one shape are saved
 * apart; a window moved by reanchor is saved under the key of the query it was subscribed with.
 */
export function persistKey(url: string, query: Query<RowBase>): string {
  return "livequery:" + url + ":" + JSON.stringify([query.table, query.where ?? null, query.order ?? null,
    query.limit ?? null, query.after ?? null, query.before ?? null]);
}

export function defaultStorage(): KeyValueStorage | undefined {
  try {
    return (globalThis as { sessionStorage?: KeyValueStorage }).sessionStorage;
  } catch {
    return undefined; // a sandboxed frame throws on access
  }
}

export function load<Row extends RowBase>(storage: KeyValueStorage, key: string): Saved<Row> | null {
  try {
    const raw = storage.getItem(key);
    if (!raw) return null;
    const s = JSON.parse(raw) as Saved<Row>;
    if (s.v !== 1 || typeof s.eid !== "string" || !Array.isArray(s.rows) || !s.query) return null;
    return s;
  } catch {
    return null; // a saved window that does not parse is as good as none: the server sends a snapshot
  }
}

export function save<Row extends RowBase>(storage: KeyValueStorage, key: string, s: Saved<Row>): void {
  try {
    storage.setItem(key, JSON.stringify(s));
  } catch {
    // quota exceeded: a reload falls back to a fresh snapshot, which is correct, only slower
    storage.removeItem(key);
  }
}
