import type { Entry, Frame, Query, Reanchor, RowBase, Snapshot } from "./types.js";

/** What the list needs of a subscription (WebSocket or SSE). */
export type ReanchorableSource<Row extends RowBase> = {
  query: Query<Row>;
  reanchor(change: Reanchor): void;
  subscribe(listener: () => void): () => void;
  getSnapshot(): Snapshot<Row>;
};

export type VirtualWindowOptions = {
  /** rows added or slid per step (default 50) */
  page?: number;
  /** the largest window; past it the window slides instead of growing (default 300) */
  max?: number;
};

/** A virtualizer's visible range: the first and the last visible index. */
type Range = readonly [number, number];

/** What a virtualizer renders: absolute indexes over the part of the result seen so far. */
export type VirtualWindowSnapshot<Row extends RowBase> = {
  /** absolute index of rows[0] in the query's result, as counted here (see {@link LiveVirtualWindow}) */
  readonly offset: number;
  readonly rows: readonly Entry<Row>[];
  /** items for the virtualizer: the rows before offset (placeholders), the window, and one loader row */
  readonly count: number;
  readonly hasMoreBefore: boolean;
  readonly hasMoreAfter: boolean;
  readonly status: Snapshot<Row>["status"];
  /**
   * rows to add to the scroll position (times the row size) so the first visible row stays put: for
   * rows that entered or left above it, and when `offset` is counted anew
   */
  readonly shift: number;
  /**
   * The reanchor the list asked for last, if the server refused it (a subscription's onError gets
   * the error frame): the window stays as it was, and the list does not ask again until the visible
   * range or the window changes. A refused grow is taken for the server's max-window: the window
   * grows no more, it slides at the size the server took.
   */
  readonly refused: Reanchor | null;
};

/**
 * Maps a virtualized list's visible range onto a live window (PROTOCOL §4 reanchor): grow while
 * the window is smaller than `max`, then slide down or up by cursor as the range nears an edge.
 * The server knows no absolute positions, so `offset` is counted here from the slides; rows that
 * enter or leave above a slid window without being in it leave it off by that much, which only
 * shifts the numbering, never the rows. The server's has_more_before wins over the count: none
 * before is offset 0, and a count that reaches 0 with rows before starts again a page down (the
 * `shift` keeps the rows where they are on screen), so the top of the list stays reachable.
 *
 * While a reanchor is under way the list keeps showing the last window that was in sync, so the
 * splice frames of a slide never show as rows jumping.
 */
export class LiveVirtualWindow<Row extends RowBase = RowBase> {
  private readonly page: number;
  private readonly max: number;
  private offset = 0;
  private planned: { query: Query<Row>; change: Reanchor; range: Range; offset: (len: number) => number } | null = null;
  /** the refused reanchor, with the range and the window it was asked for */
  private refused: { change: Reanchor; range: Range; query: Query<Row> } | null = null;
  /** the largest window the server is known to take (a bigger one was refused) */
  private ceiling = Infinity;
  private snap: VirtualWindowSnapshot<Row>;
  private firstVisible = 0;
  /** frames of the batches published while a resume was under way, for the shift at its ready */
  private held: Frame<Row>[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly stop: () => void;

  constructor(private readonly source: ReanchorableSource<Row>, opts: VirtualWindowOptions = {}) {
    this.page = opts.page ?? 50;
    this.max = Math.max(opts.max ?? 300, this.page * 2);
    const s = source.getSnapshot();
    this.offset = this.numbered(s, 0);
    this.snap = this.make(s, this.offset);
    this.stop = source.subscribe(() => this.update());
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  getSnapshot(): VirtualWindowSnapshot<Row> { return this.snap; }

  /** The entry at an absolute index, or null for a placeholder above the window or the loader below. */
  item(index: number): Entry<Row> | null {
    return this.snap.rows[index - this.snap.offset] ?? null;
  }

  /** The virtualizer's visible range changed: reanchor when it nears an edge of the window. */
  onRange(startIndex: number, endIndex: number): void {
    this.firstVisible = startIndex;
    const s = this.source.getSnapshot();
    if (s.status === "syncing" || s.status === "error" || s.status === "closed" || this.planned) return;
    // the effect that calls this runs again for every window, and the refusal made one
    const r = this.refused, range: Range = [startIndex, endIndex];
    if (r && r.range[0] === startIndex && r.range[1] === endIndex && r.query === this.source.query) return;
    const rows = this.snap.rows, off = this.offset, len = rows.length, end = off + len;
    const limit = this.source.query.limit, max = Math.min(this.max, this.ceiling);
    if (endIndex + this.page / 2 >= end && s.hasMoreAfter && len >= limit) {
      if (limit + this.page <= max && !this.source.query.before) {
        this.plan({ limit: limit + this.page }, range, () => off);
      } else {
        // slide down: keep `page` rows above the visible start, the window begins after the row before it
        const first = Math.min(Math.max(off + 1, startIndex - this.page), end - 1);
        this.plan({ after: rows[first - off - 1].cursor, limit: max }, range, () => first);
      }
    } else if (startIndex - this.page / 2 < off && s.hasMoreBefore && len > 0) {
      // slide up: the window ends before a row `page` below the visible end
      const last = Math.max(Math.min(end - 1, endIndex + this.page), off);
      this.plan({ before: rows[last - off].cursor, limit: max }, range, n => last - n);
    }
  }

  close(): void { this.stop(); this.listeners.clear(); }

  private plan(change: Reanchor, range: Range, offset: (len: number) => number): void {
    this.refused = null;
    this.source.reanchor(change);
    this.planned = { query: this.source.query, change, range, offset };
  }

  private update(): void {
    const s = this.source.getSnapshot();
    if (s.status === "syncing" && this.snap.rows.length > 0) {
      // keep the last window in sync; the changes a resume brings still move what the user reads
      if (!this.planned) this.held.push(...s.frames);
      return;
    }
    const frames = this.held.length > 0 ? [...this.held, ...s.frames] : s.frames;
    this.held = [];
    let shift = 0, at = this.offset;
    const p = this.planned;
    if (p && s.status !== "syncing") {
      // the reanchor's ready, or its refusal (which restored the old query)
      this.planned = null;
      if (this.source.query === p.query) at = p.offset(s.rows.length);
      else {
        this.refused = { change: p.change, range: p.range, query: this.source.query };
        if (p.change.limit && p.change.limit > this.source.query.limit) this.ceiling = this.source.query.limit;
      }
    } else {
      shift = anchorShift(frames, this.firstVisible - this.offset);
    }
    this.offset = this.numbered(s, at);
    shift += this.offset - at;
    this.snap = this.make(s, shift);
    for (const l of [...this.listeners]) l();
  }

  /** `at` as the server's has_more_before allows: 0 with none before, else room to scroll up to them. */
  private numbered(s: Snapshot<Row>, at: number): number {
    return !s.hasMoreBefore ? 0 : at > 0 ? at : this.page;
  }

  private make(s: Snapshot<Row>, shift: number): VirtualWindowSnapshot<Row> {
    return Object.freeze({
      offset: this.offset,
      rows: s.rows,
      count: this.offset + s.rows.length + (s.hasMoreAfter ? 1 : 0),
      hasMoreBefore: s.hasMoreBefore,
      hasMoreAfter: s.hasMoreAfter,
      status: s.status,
      shift,
      refused: this.refused?.change ?? null,
    });
  }
}

/**
 * How many rows entered (minus left) above window index `visible` in a batch of live frames (made
 * while in sync, or brought by a resume): the scroll position to add, in rows, so the row the user
 * looks at does not move. The frames' indexes make this exact (each relative to the window the
 * previous frame left). A reset replaces the window: the count starts again after it.
 */
export function anchorShift(frames: readonly Frame<any>[], visible: number): number {
  let shift = 0;
  let v = Math.max(0, visible);
  for (const f of frames) {
    if (f.op === "reset") { shift = 0; v = Math.max(0, visible); }
    if (!f.live) continue;
    if ((f.op === "leave" || f.op === "move") && f.old_index < v) { shift--; v--; }
    // inserted at the visible row's index: it goes above it and pushes it down
    if ((f.op === "enter" || f.op === "move") && f.new_index <= v) { shift++; v++; }
  }
  return shift;
}
