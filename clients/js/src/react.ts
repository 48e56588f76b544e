import { createContext, createElement, useContext, useEffect, useMemo, useState, useSyncExternalStore, useCallback, type ReactNode } from "react";
import type { LiveQuery } from "./client.js";
import type { PersistOptions } from "./persist.js";
import type { Subscription } from "./subscription.js";
import type { Entry, ErrorFrame, Query, Reanchor, ReadyFrame, RowBase, Snapshot } from "./types.js";

const ClientContext = createContext<LiveQuery | null>(null);

/** Makes `client` the connection of every hook below it. */
export function LiveQueryProvider(props: { client: LiveQuery; children?: ReactNode }) {
  return createElement(ClientContext.Provider, { value: props.client }, props.children);
}

export type UseLiveQueryOptions = { client?: LiveQuery; persist?: PersistOptions | boolean };

export type LiveQueryResult<Row extends RowBase> = {
  rows: readonly Entry<Row>[];
  status: Snapshot<Row>["status"];
  ready: ReadyFrame | null;
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
  error: ErrorFrame | null;
  reanchor: (change: Reanchor) => void;
  /** null until the effect has subscribed */
  subscription: Subscription<Row> | null;
};

const EMPTY: Snapshot<any> = Object.freeze({
  rows: Object.freeze([]), status: "syncing", ready: null, hasMoreBefore: false, hasMoreAfter: false, error: null, frames: Object.freeze([]),
});
const noop = () => () => {};

/**
 * A live window as React state: one subscription per distinct query (compared by value), closed on
 * unmount; re-renders once per applied batch with a new frozen snapshot. `null` = no query yet.
 */
export function useLiveQuery<Row extends RowBase = RowBase>(query: Query<Row> | null, opts: UseLiveQueryOptions = {}): LiveQueryResult<Row> {
  const sub = useSubscription(query, opts);
  const snap = useSyncExternalStore(
    useMemo(() => (sub ? (l: () => void) => sub.subscribe(l) : noop), [sub]),
    () => (sub ? sub.getSnapshot() : EMPTY) as Snapshot<Row>,
    () => EMPTY as Snapshot<Row>);
  const reanchor = useCallback((c: Reanchor) => sub?.reanchor(c), [sub]);
  return { rows: snap.rows, status: snap.status, ready: snap.ready, hasMoreBefore: snap.hasMoreBefore,
    hasMoreAfter: snap.hasMoreAfter, error: snap.error, reanchor, subscription: sub };
}

/**
 * The subscription behind {@link useLiveQuery} (the provider's client or `opts.client`), for hooks
 * of your own: one per distinct query (compared by value), closed on unmount; null until subscribed.
 */
export function useSubscription<Row extends RowBase>(query: Query<Row> | null, opts: UseLiveQueryOptions = {}): Subscription<Row> | null {
  const ctx = useContext(ClientContext);
  const client = opts.client ?? ctx;
  if (!client && query) throw new Error("useLiveQuery needs a client: wrap the tree in <LiveQueryProvider client={…}> or pass {client}");
  const key = query ? JSON.stringify(query) : null;
  const persist = opts.persist;
  const [sub, setSub] = useState<Subscription<Row> | null>(null);
  useEffect(() => {
    if (!client || !key) return;
    const s = client.subscribe<Row>(JSON.parse(key), undefined, { persist });
    setSub(s);
    return () => { s.close(); setSub(null); };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the query is compared by value (key)
  }, [client, key]);
  return sub;
}
