import type { Connection } from "./connection.js";
import { load, save, type KeyValueStorage, type PersistOptions } from "./persist.js";
import type { ClosedFrame, ErrorFrame, Frame, Handlers, Query, Reanchor, RowBase } from "./types.js";
import { LiveWindow, type Scheduler } from "./window.js";

export type SubscribeOptions = { persist?: PersistOptions | boolean };

/**
 * One subscription on a {@link LiveQuery} connection (PROTOCOL §4): re-sent with `resume` after
 * every reconnect until it is closed, ends for good on an error to its subscribe (unless the
 * reason passes: then the subscribe is re-sent after a backoff) or a final closed frame.
 */
export class Subscription<Row extends RowBase = RowBase> extends LiveWindow<Row> {
  /** the query as last sent to the server (before a reanchor error, restored) */
  private previous: Query<Row> | null = null;
  /** true from sending subscribe until its first ready: an error then means the subscribe failed */
  private subscribing = true;

  constructor(
    private readonly conn: Connection,
    readonly name: string,
    query: Query<Row>,
    handlers: Handlers<Row> | undefined,
    schedule: Scheduler,
    private readonly storage: { storage: KeyValueStorage; key: string } | null,
  ) {
    super(query, handlers, schedule);
    if (storage) this.restore(storage.storage, storage.key);
  }

  /** Changes the window: {limit}, {after: cursor}, {before: cursor}, {after: null} = from the top. */
  reanchor(change: Reanchor): void {
    if (this.closed) return;
    this.previous = { ...this.query };
    const q = { ...this.query };
    if ("after" in change || "before" in change) {
      delete q.after; delete q.before;
      if (change.after) q.after = change.after;
      if (change.before) q.before = change.before;
    }
    if (change.limit) q.limit = change.limit;
    this.query = q;
    this.workSyncing = true;
    this.publish([]);
    // sent now, or (while disconnected) carried by the resubscribe: resume + the new window
    this.conn.send({ action: "reanchor", sub: this.name, ...change });
  }

  /** Ends the subscription (unsubscribe is sent if connected). */
  close(): void {
    if (this.closed) return;
    this.conn.forget(this.name);
    this.conn.send({ action: "unsubscribe", sub: this.name });
    this.end(null);
  }

  /** The subscribe message for a (re)connect: resume by the last applied eid when there is one. */
  subscribeMessage(): Record<string, unknown> {
    this.subscribing = true;
    // `stale` was said of the old server-side subscription: the new one says so again if it is
    this.workStatus = "live";
    const m: Record<string, unknown> = { action: "subscribe", sub: this.name, query: this.query };
    if (this.eid) {
      m.resume = this.eid;
      // a resume is a sync too: until its ready the window may still lack what was missed
      if (!this.workSyncing) { this.workSyncing = true; this.publish([]); }
    }
    this.previous = null;
    return m;
  }

  /** A frame for this subscription from the connection. */
  receive(f: Frame<Row>): void {
    switch (f.op) {
      case "error": return this.failed(f);
      case "closed": return this.closedBy(f);
      case "ready": this.subscribing = false; this.previous = null; break;
    }
    this.applyFrame(f);
  }

  private failed(f: ErrorFrame): void {
    this.handlers.onError?.(f);
    if (this.subscribing) {
      // the subscribe itself failed: re-sent after a backoff if the reason passes; else re-sending
      // it on every reconnect would fail the same way
      if (this.conn.resendLater(this.name, f, this.eid !== null)) return;
      this.conn.forget(this.name);
      this.end(f);
    } else if (this.previous) {
      // a reanchor failed; the server keeps the window it had
      this.query = this.previous;
      this.previous = null;
      this.workSyncing = false;
      this.publish([]);
    }
  }

  private closedBy(f: ClosedFrame): void {
    // after "shutdown" the socket closes too, and the reconnect resumes this subscription elsewhere
    const final = f.cause !== "shutdown";
    if (final) {
      this.conn.forget(this.name);
      this.end(null);
    }
    this.handlers.onClosed?.({ ...f, final });
  }

  protected override afterFlush(): void {
    if (this.storage && this.eid && !this.syncing) {
      save(this.storage.storage, this.storage.key, { v: 1, query: this.query, rows: [...this.work], eid: this.eid });
    }
  }

  /** Paints the saved window at once; the subscribe then resumes from its eid. */
  private restore(storage: KeyValueStorage, key: string): void {
    const saved = load<Row>(storage, key);
    if (!saved) return;
    this.query = { ...this.query, limit: saved.query.limit, after: saved.query.after, before: saved.query.before };
    for (const k of ["after", "before", "limit"] as const) if (this.query[k] == null) delete this.query[k];
    this.work = saved.rows.map(e => Object.freeze({ ...e }));
    this.eid = saved.eid;
    this.publish([]);
  }
}
