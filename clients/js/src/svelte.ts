import type { LiveQuery } from "./client.js";
import type { PersistOptions } from "./persist.js";
import type { Subscription } from "./subscription.js";
import type { Query, Reanchor, RowBase, Snapshot } from "./types.js";

/** The Svelte store contract (`svelte/store`'s Readable), written out so this entry needs no svelte at run time. */
export type Readable<T> = {
  subscribe(run: (value: T) => void, invalidate?: () => void): () => void;
};

export type LiveQueryStore<Row extends RowBase> = Readable<Snapshot<Row>> & {
  /** Moves the window of the open subscription (no-op while nobody subscribes). */
  reanchor(change: Reanchor): void;
  /** The open subscription, or null while the store has no subscribers. */
  readonly subscription: Subscription<Row> | null;
};

export type LiveQueryStoreOptions = { persist?: PersistOptions | boolean };

/**
 * A live window as a Svelte readable store (`$items` in a component): the subscription opens with
 * the first store subscriber and closes with the last, and subscribers get a new frozen snapshot per
 * applied batch.
 */
export function liveQuery<Row extends RowBase = RowBase>(client: LiveQuery, query: Query<Row>,
    opts: LiveQueryStoreOptions = {}): LiveQueryStore<Row> {
  const runs = new Set<{ run: (s: Snapshot<Row>) => void }>();
  let sub: Subscription<Row> | null = null;
  let off: (() => void) | null = null;
  const open = () => {
    const s = client.subscribe<Row>(query, undefined, { persist: opts.persist });
    sub = s;
    off = s.subscribe(() => { const snap = s.getSnapshot(); for (const r of [...runs]) r.run(snap); });
  };
  return {
    subscribe(run) {
      if (!sub) open();
      const me = { run };   // one entry per subscribe call, even for the same function
      runs.add(me);
      run(sub!.getSnapshot());
      return () => {
        if (!runs.delete(me) || runs.size > 0) return;
        off?.(); sub?.close(); off = null; sub = null;
      };
    },
    reanchor(change) { sub?.reanchor(change); },
    get subscription() { return sub; },
  };
}

export { readable as fromSubscription } from "./store.js";
