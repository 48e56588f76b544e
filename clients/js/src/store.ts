import type { RowBase, Snapshot } from "./types.js";

/** Anything with the subscription's store half: a WebSocket or SSE subscription. */
export type SnapshotSource<Row extends RowBase> = {
  subscribe(listener: () => void): () => void;
  getSnapshot(): Snapshot<Row>;
};

/**
 * The Svelte store contract (`subscribe(run)` calls `run` now and on every change, returns the
 * unsubscribe), so `$store` works in a Svelte component as is. Vue: `const s = shallowRef(src.getSnapshot());
 * onScopeDispose(src.subscribe(() => s.value = src.getSnapshot()))` — a snapshot is a new frozen
 * object per applied batch, which is what shallowRef needs.
 */
export function readable<Row extends RowBase>(src: SnapshotSource<Row>): { subscribe(run: (s: Snapshot<Row>) => void): () => void } {
  return {
    subscribe(run) {
      run(src.getSnapshot());
      return src.subscribe(() => run(src.getSnapshot()));
    },
  };
}
