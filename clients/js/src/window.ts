import { applyFrame } from "./apply.js";
import { LiveQueryError } from "./table.js";
import type {
  Entry, ErrorFrame, Frame, Handlers, Query, Reanchor, ReadyFrame, RowBase, Snapshot, SubscriptionStatus, Eid,
} from "./types.js";

/**
 * `q` moved by a reanchor (PROTOCOL §4): naming `after` or `before` replaces both; `{after: null}` = from the top.
 * A field set to `undefined` is not named: it does not travel in JSON, so the server keeps its value too.
 */
export function reanchored<Row extends RowBase>(q: Query<Row>, change: Reanchor): Query<Row> {
  const out = { ...q };
  if (change.after !== undefined || change.before !== undefined) {
    delete out.after; delete out.before;
    if (change.after) out.after = change.after;
    if (change.before) out.before = change.before;
  }
  if (change.limit) out.limit = change.limit;
  return out;
}

/** Runs `fn` soon, once per burst of frames (an animation frame in a visible browser tab). */
export type Scheduler = (fn: () => void) => void;

/**
 * Applied frames that wait for their batch, past which the batch is published at once: a scheduler
 * that does not run soon (a background tab) must not hold an unbounded backlog.
 */
const MAX_PENDING = 1000;

/**
 * What {@link LiveWindow.whenReady} rejects with once the subscription has ended: a
 * {@link LiveQueryError} (`status` 0) whose `code` and `message` are those of the error frame that
 * ended it (`frame`; e.g. `forbidden`, `stopped`, `refused`), or code `closed` when it was closed
 * without an error (sub.close(), lq.close(), a final `closed` frame; `frame` is then null).
 */
export class SubscriptionError extends LiveQueryError {
  constructor(readonly frame: ErrorFrame | null) {
    super(0, frame?.code ?? "closed", frame?.message ?? "subscription closed");
    this.name = "SubscriptionError";
  }
}

/** An optimistic write shown over the server's row until the server confirms or contradicts it. */
type Overlay<Row> = { row: Row | null; version: number };

/**
 * A window of rows kept equal to the server's by applying frames; the part that WebSocket and
 * SSE subscriptions share. Frames apply at once to a working array; handlers, listeners and the
 * public fields see them once per batch, as one frozen {@link Snapshot} — what
 * useSyncExternalStore, Svelte stores and Vue's shallowRef need (a new identity only on change).
 */
export class LiveWindow<Row extends RowBase = RowBase> {
  query: Query<Row>;
  readonly handlers: Handlers<Row>;
  /** the rows as of the last applied batch (frozen) */
  rows: readonly Entry<Row>[] = Object.freeze([]);
  /** the last ready frame */
  ready: ReadyFrame | null = null;
  /** `stale` while the server says its backend is unreachable (a new connection or stream starts `live`) */
  status: "live" | "stale" = "live";
  /** from subscribe, reset, reanchor or a dropped connection until the ready that ends it */
  syncing = true;
  /** reset frames seen (a resume that works sends none) */
  resets = 0;
  closed = false;
  error: ErrorFrame | null = null;
  /** the eid of the last applied frame: the resume token */
  eid: Eid | null = null;

  // What applied frames have made of the window; the public fields above follow at each publish,
  // so rows, ready, status and syncing always describe the same moment.
  protected work: Entry<Row>[] = [];
  /** the ids in `work`, to tell a frame that does not fit it */
  private ids = new Set<string>();
  protected workSyncing = true;
  /**
   * The sync under way is a resume of the window the last ready confirmed (no reanchor, no reset):
   * its frames are the changes missed meanwhile, live as any other change.
   */
  private workResuming = false;
  private workReady: ReadyFrame | null = null;
  /** per status frames of the current server-side subscription or stream; a new one starts live */
  protected workStatus: "live" | "stale" = "live";
  /** what onStatus last heard */
  private toldStatus: "live" | "stale" = "live";
  private pending: Frame<Row>[] = [];
  private scheduled = false;
  private snapshot: Snapshot<Row>;
  private listeners = new Set<() => void>();
  private overlays = new Map<string, Overlay<Row>>();
  /** the one promise every whenReady() of the current sync gets (not one per call) */
  private readyWaiter: { promise: Promise<ReadyFrame>; ok: (r: ReadyFrame) => void; fail: (e: Error) => void } | null = null;

  constructor(query: Query<Row>, handlers: Handlers<Row> | undefined, private readonly schedule: Scheduler) {
    this.query = { ...query };
    this.handlers = handlers ?? {};
    this.snapshot = this.makeSnapshot([]);
  }

  get hasMoreBefore(): boolean { return this.ready?.has_more_before ?? false; }
  get hasMoreAfter(): boolean { return this.ready?.has_more_after ?? false; }

  /**
   * Applies one frame now; handlers and listeners hear of it with the rest of its batch. A frame
   * that does not fit the window is not applied: the window is not the server's, see {@link diverged}.
   */
  applyFrame(f: Frame<Row>): void {
    if (!this.fits(f)) return this.diverged();
    if (f.op === "reset") { this.workSyncing = true; this.workResuming = false; this.resets++; }
    f.live = !this.workSyncing || this.workResuming;
    applyFrame(this.work, f);
    switch (f.op) {
      case "reset": this.ids.clear(); break;
      case "ready": this.workReady = f; this.workSyncing = this.workResuming = false; this.pruneOverlays(); break;
      case "status": this.workStatus = f.state; break;
    }
    switch (f.op) {
      case "enter": this.ids.add(f.id); break;
      case "leave": this.ids.delete(f.id); break;
    }
    switch (f.op) {
      case "enter": case "update": case "move": this.settle(f.id, f.version); break;
      case "leave": this.overlays.delete(f.id); break; // an overlay shows only over a row the window holds
    }
    if (f.eid) this.eid = f.eid;
    this.pending.push(f);
    if (this.pending.length >= MAX_PENDING) this.flush(); // the scheduled run then finds nothing
    else if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => { this.scheduled = false; this.flush(); });
    }
  }

  /**
   * Whether a row frame fits the window as PROTOCOL §3 says every frame does: its indexes in range,
   * a leave, update or move naming the row at its old index, an enter a row not in the window.
   */
  private fits(f: Frame<Row>): boolean {
    const w = this.work, at = (i: number, n: number) => Number.isInteger(i) && i >= 0 && i < n;
    switch (f.op) {
      case "enter": return at(f.new_index, w.length + 1) && !this.ids.has(f.id);
      case "leave": return at(f.old_index, w.length) && w[f.old_index].id === f.id;
      case "update": return at(f.new_index, w.length) && w[f.new_index].id === f.id;
      case "move": return at(f.old_index, w.length) && w[f.old_index].id === f.id && at(f.new_index, w.length);
      default: return true;
    }
  }

  /**
   * A frame did not fit: applying it (or any after it) would show rows the server's window does not
   * hold, and resuming by the eid would only carry the difference on. Subclasses ask for a fresh
   * snapshot; here the resume token is dropped.
   */
  protected diverged(): void {
    this.eid = null;
  }

  /**
   * Syncing again by resume (a new connection or stream, from the last applied eid). Only a window
   * in sync resumes as it was: during a reanchor or a snapshot the frames to come are not all changes.
   */
  protected resuming(): void {
    if (this.workSyncing) return;
    this.workSyncing = this.workResuming = true;
    this.publish([]);
  }

  /** A reanchor: the frames to come turn the window into another, they are no changes of its rows. */
  protected moving(): void {
    this.workSyncing = true;
    this.workResuming = false;
  }

  /** Replaces the working rows (a saved window). */
  protected replaceWork(rows: Entry<Row>[]): void {
    this.work = rows;
    this.ids = new Set(rows.map(e => e.id));
  }

  /** Publishes what was applied since the last flush: one snapshot, one round of handlers. */
  flush(): void {
    const frames = this.pending;
    if (frames.length === 0) return;
    this.pending = [];
    this.publish(frames);
    const h = this.handlers;
    if (h.onChange && frames.some(x => x.op !== "ready" && x.op !== "status" && x.op !== "error" && x.op !== "closed")) {
      h.onChange(this.rows, frames);
    }
    if (h.onStatus && (frames.some(x => x.op === "status") || this.status !== this.toldStatus)) h.onStatus(this.toldStatus = this.status);
    if (frames.some(x => x.op === "ready") && this.ready && !this.syncing) { // not the ready of one change while another is under way
      h.onReady?.(this.ready);
    }
    this.afterFlush();
  }

  /** A new frozen snapshot from the working rows, then every listener. */
  protected publish(frames: Frame<Row>[]): void {
    this.rows = Object.freeze(this.withOverlays());
    this.ready = this.workReady;
    this.status = this.workStatus;
    this.syncing = this.workSyncing;
    this.snapshot = this.makeSnapshot(frames);
    // in sync again: by a ready, or by a refused reanchor (the window the server kept, no ready comes)
    if (this.ready && !this.syncing && this.readyWaiter) {
      const w = this.readyWaiter;
      this.readyWaiter = null;
      w.ok(this.ready);
    }
    for (const l of [...this.listeners]) l();
  }

  /** Called after each flush; subscriptions persist their window here. */
  protected afterFlush(): void {}

  /** Listens for new snapshots (useSyncExternalStore's `subscribe`). Returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** The current snapshot: the same object until the next applied batch. */
  getSnapshot(): Snapshot<Row> { return this.snapshot; }

  /**
   * Resolves at the ready that brings the window in sync (Suspense can throw it); rejects with a
   * {@link SubscriptionError} (code and message of the error that ended it, or code `closed`) once
   * the subscription has ended. Calls while syncing all get the same promise.
   */
  whenReady(): Promise<ReadyFrame> {
    if (this.closed) return Promise.reject(new SubscriptionError(this.error));
    if (this.ready && !this.syncing) return Promise.resolve(this.ready);
    if (!this.readyWaiter) {
      let ok!: (r: ReadyFrame) => void, fail!: (e: Error) => void;
      const promise = new Promise<ReadyFrame>((y, n) => { ok = y; fail = n; });
      this.readyWaiter = { promise, ok, fail };
    }
    return this.readyWaiter.promise;
  }

  /** The subscription failed or ended: one last snapshot, then nothing more. */
  protected end(error: ErrorFrame | null): void {
    this.closed = true;
    this.pending = []; // the frames waiting for their batch show in this snapshot; no handler runs after the end

    if (error) this.error = error;
    const w = this.readyWaiter;
    this.readyWaiter = null;
    w?.fail(new SubscriptionError(error));
    this.publish([]);
  }

  /** Shows `row` (null = deleted) in place of the server's row `id` until {@link settle}d. */
  overlay(id: string, row: Row | null): void {
    if (!this.work.some(e => e.id === id)) return;
    this.overlays.set(id, { row, version: Infinity });
    this.publish([]);
  }

  /** The write behind an overlay succeeded with `version`: keep it until a frame brings that version. */
  confirm(id: string, version: number): void {
    const o = this.overlays.get(id);
    if (!o) return;
    const base = this.work.find(e => e.id === id);
    if (!base || base.version >= version) this.dropOverlay(id);
    else o.version = version;
  }

  /** The write behind an overlay failed: show the server's row again. */
  dropOverlay(id: string): void {
    if (this.overlays.delete(id)) this.publish([]);
  }

  /** A frame for `id` arrived: the server's row wins over an overlay it confirms or contradicts. */
  private settle(id: string, version: number): void {
    const o = this.overlays.get(id);
    if (o && (o.version === Infinity || version >= o.version)) this.overlays.delete(id);
  }

  /**
   * In sync (a ready): overlays of rows the window no longer holds go. A reset's snapshot without the
   * row brings no frame for it, and an overlay waiting for its confirmed version stayed for good.
   */
  private pruneOverlays(): void {
    for (const id of this.overlays.keys()) if (!this.ids.has(id)) this.overlays.delete(id);
  }

  private withOverlays(): Entry<Row>[] {
    if (this.overlays.size === 0) return this.work.slice();
    const out: Entry<Row>[] = [];
    for (const e of this.work) {
      const o = this.overlays.get(e.id);
      if (!o) out.push(e);
      else if (o.row) out.push(Object.freeze({ ...e, row: o.row, pending: true }));
    }
    return out;
  }

  private currentStatus(): SubscriptionStatus {
    if (this.error) return "error";
    if (this.closed) return "closed";
    if (this.syncing) return "syncing";
    return this.status;
  }

  private makeSnapshot(frames: Frame<Row>[]): Snapshot<Row> {
    return Object.freeze({
      rows: this.rows,
      status: this.currentStatus(),
      ready: this.ready,
      hasMoreBefore: this.hasMoreBefore,
      hasMoreAfter: this.hasMoreAfter,
      error: this.error,
      frames: Object.freeze(frames),
    });
  }
}
