import { getCurrentInstance, getCurrentScope, inject, onScopeDispose, provide, shallowRef, toValue, watch,
  type InjectionKey, type MaybeRefOrGetter, type ShallowRef } from "vue";
import type { LiveQuery } from "./client.js";
import type { PersistOptions } from "./persist.js";
import type { Subscription } from "./subscription.js";
import type { Entry, ErrorFrame, Query, Reanchor, ReadyFrame, RowBase, Snapshot } from "./types.js";

const CLIENT: InjectionKey<LiveQuery> = Symbol("livequery client");

/** Makes `client` the connection of every `useLiveQuery` in this component's subtree (call in setup). */
export function provideLiveQuery(client: LiveQuery): void {
  provide(CLIENT, client);
}

export type UseLiveQueryOptions = { client?: LiveQuery; persist?: PersistOptions | boolean };

export type LiveQueryRefs<Row extends RowBase> = {
  /** the whole snapshot: a new frozen object per applied batch */
  snapshot: ShallowRef<Snapshot<Row>>;
  rows: ShallowRef<readonly Entry<Row>[]>;
  status: ShallowRef<Snapshot<Row>["status"]>;
  ready: ShallowRef<ReadyFrame | null>;
  hasMoreBefore: ShallowRef<boolean>;
  hasMoreAfter: ShallowRef<boolean>;
  error: ShallowRef<ErrorFrame | null>;
  subscription: ShallowRef<Subscription<Row> | null>;
  reanchor: (change: Reanchor) => void;
};

const EMPTY: Snapshot<any> = Object.freeze({
  rows: Object.freeze([]), status: "syncing", ready: null, hasMoreBefore: false, hasMoreAfter: false, error: null, frames: Object.freeze([]),
});

/**
 * A live window as Vue state: shallowRefs set once per applied batch (snapshots are frozen, so
 * nothing is made deeply reactive). `query` may be a ref or a getter: a query that changes by value
 * closes the subscription and opens a new one; `null` = no query yet. Closed when the calling
 * component or effect scope is disposed.
 */
export function useLiveQuery<Row extends RowBase = RowBase>(query: MaybeRefOrGetter<Query<Row> | null>,
    opts: UseLiveQueryOptions = {}): LiveQueryRefs<Row> {
  const client = opts.client ?? (getCurrentInstance() ? inject(CLIENT, null) : null);
  const snapshot = shallowRef<Snapshot<Row>>(EMPTY);
  const rows = shallowRef<readonly Entry<Row>[]>(EMPTY.rows);
  const status = shallowRef<Snapshot<Row>["status"]>(EMPTY.status);
  const ready = shallowRef<ReadyFrame | null>(null);
  const hasMoreBefore = shallowRef(false);
  const hasMoreAfter = shallowRef(false);
  const error = shallowRef<ErrorFrame | null>(null);
  const subscription = shallowRef<Subscription<Row> | null>(null);
  const show = (s: Snapshot<Row>) => {
    snapshot.value = s; rows.value = s.rows; status.value = s.status; ready.value = s.ready;
    hasMoreBefore.value = s.hasMoreBefore; hasMoreAfter.value = s.hasMoreAfter; error.value = s.error;
  };
  let stop: (() => void) | null = null;
  const end = () => { stop?.(); stop = null; };
  const key = () => { const q = toValue(query); return q ? JSON.stringify(q) : null; };
  const noClient = () => new Error("useLiveQuery needs a client: call provideLiveQuery(client) in a parent's setup or pass {client}");
  // thrown here, not only in the watcher, whose errors a production build of Vue merely logs
  if (!client && key()) throw noClient();
  watch(key, key => {
    end();
    if (!key) { subscription.value = null; show(EMPTY); return; }
    if (!client) throw noClient();
    const sub = client.subscribe<Row>(JSON.parse(key), undefined, { persist: opts.persist });
    const off = sub.subscribe(() => show(sub.getSnapshot()));
    subscription.value = sub;
    show(sub.getSnapshot());
    stop = () => { off(); sub.close(); };
  }, { immediate: true });
  if (getCurrentScope()) onScopeDispose(end);
  const reanchor = (c: Reanchor) => subscription.value?.reanchor(c);
  return { snapshot, rows, status, ready, hasMoreBefore, hasMoreAfter, error, subscription, reanchor };
}
