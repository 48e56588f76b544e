import { useCallback, useEffect, useMemo, useSyncExternalStore } from "react";
import { useVirtualizer, type Virtualizer } from "@tanstack/react-virtual";
import { useSubscription, type UseLiveQueryOptions } from "./react.js";
import type { Subscription } from "./subscription.js";
import type { Entry, Query, RowBase } from "./types.js";
import { LiveVirtualWindow, type VirtualWindowOptions, type VirtualWindowSnapshot } from "./virtual.js";

// A separate entry, `@livequery/client/react-virtual`, so that `./react` loads without the optional
// peer @tanstack/react-virtual.

const noop = () => () => {};

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
  refused: null,
});
