import { createContext, createElement, useContext, useEffect, useMemo, useState, useSyncExternalStore, useCallback, type ReactNode } from "react";
import { useVirtualizer, type Virtualizer } from "@tanstack/react-virtual";
import type { LiveQuery } from "./client.js";
import type { PersistOptions } from "./persist.js";
import type { Subscription } from "./subscription.js";
import type { Entry, ErrorFrame, Query, Reanchor, ReadyFrame, RowBase, Snapshot } from "./types.js";
import { LiveVirtualWindow, type VirtualWindowOptions, type VirtualWindowSnapshot } from "./virtual.js";

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

function useSubscription<Row extends RowBase>(query: Query<Row> | null, opts: UseLiveQueryOptions): Subscription<Row> | null {
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

export type UseLiveVirtualizerOptions<E extends Element> = UseLiveQueryOptions & VirtualWindowOptions & {
  getScrollElement: () => E | null;
  /** the row height in px (rows are treated as this size; measured sizes are not used for anchoring) */
  estimateSize: number;
  overscan?: number;
};

export type LiveVirtualizerResult<Row extends RowBase, E extends Element> = {
  virtualizer: Virtualizer<E, Element>;
  window: VirtualWindowSnapshot<Row>;
  /** the entry at an absolute index; null for a placeholder or the loader row */
  item: (index: number) => Entry<Row> | null;
  subscription: Subscription<Row> | null;
};

/**
 * A live query bound to a TanStack virtualizer: the visible range drives reanchor (grow, slide
 * down, slide up) and rows that enter or leave above the first visible row move the scroll
 * position by as much, so what the user reads stays where it is.
 */
export function useLiveVirtualizer<Row extends RowBase = RowBase, E extends Element = HTMLElement>(
    query: Query<Row> | null, opts: UseLiveVirtualizerOptions<E>): LiveVirtualizerResult<Row, E> {
  const sub = useSubscription(query, opts);
  const page = opts.page, max = opts.max;
  const list = useMemo(() => (sub ? new LiveVirtualWindow(sub, { page, max }) : null), [sub, page, max]);
  useEffect(() => () => list?.close(), [list]);
  const win = useSyncExternalStore(
    useMemo(() => (list ? (l: () => void) => list.subscribe(l) : noop), [list]),
    () => (list ? list.getSnapshot() : EMPTY_WINDOW) as VirtualWindowSnapshot<Row>,
    () => EMPTY_WINDOW as VirtualWindowSnapshot<Row>);
  const virtualizer = useVirtualizer<E, Element>({
    count: win.count,
    getScrollElement: opts.getScrollElement,
    estimateSize: () => opts.estimateSize,
    overscan: opts.overscan ?? 10,
  });
  const items = virtualizer.getVirtualItems();
  const start = items[0]?.index ?? 0, end = items[items.length - 1]?.index ?? 0;
  useEffect(() => { list?.onRange(start, end); }, [list, start, end, win]);
  useEffect(() => {
    if (win.shift !== 0) virtualizer.scrollToOffset((virtualizer.scrollOffset ?? 0) + win.shift * opts.estimateSize);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per window snapshot
  }, [win]);
  const item = useCallback((i: number) => win.rows[i - win.offset] ?? null, [win]);
  return { virtualizer, window: win, item, subscription: sub };
}

const EMPTY_WINDOW: VirtualWindowSnapshot<any> = Object.freeze({
  offset: 0, rows: Object.freeze([]), count: 0, hasMoreBefore: false, hasMoreAfter: false, status: "syncing", shift: 0,
});
