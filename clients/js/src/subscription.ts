import type { Connection } from "./connection.js";
import { load, save, type KeyValueStorage, type PersistOptions } from "./persist.js";
import type { ClosedFrame, ErrorFrame, Frame, Handlers, Query, Reanchor, RowBase } from "./types.js";
import { LiveWindow, reanchored, type Scheduler } from "./window.js";

export type SubscribeOptions = { persist?: PersistOptions | boolean };

/**
 * One subscription on a {@link LiveQuery} connection (PROTOCOL §4): re-sent with `resume` after
 * every reconnect until it is closed, ends for good on an error to its subscribe (unless the
 * reason passes: then the subscribe is re-sent after a backoff) or a final closed frame.
 */
export class Subscription<Row extends RowBase = RowBase> extends LiveWindow<Row> {
  /** true from sending subscribe until its first ready */
  private subscribing = true;
  /** a frame of the subscribe came: it was accepted (the server refuses one before any frame) */
  private accepted = false;
  /** the window the server holds as far as its answers tell; `query` is it with the changes below */
  private base: Query<Row>;
  /** the changes the reanchor in flight carries */
  private sent: Reanchor[] | null = null;
  /** changes made while the subscribe or a reanchor was unanswered */
  private queued: Reanchor[] = [];
  /**
   * The window the server last confirmed, while a resubscribe carries reanchors it never answered
   * (made offline, or in flight when the socket dropped): if the resubscribe is refused, the
   * refusal is theirs, and the subscription goes back to this window as a refused reanchor does.
   */
  private fallback: Query<Row> | null = null;
  /** a reset came and its snapshot's ready has not: that ready answers no reanchor (see {@link answered}) */
  private inReset = false;

  constructor(
    private readonly conn: Connection,
    /** the sub id on the wire; a new one after {@link diverged} */
    public name: string,
    query: Query<Row>,
    handlers: Handlers<Row> | undefined,
    schedule: Scheduler,
    private readonly storage: { storage: KeyValueStorage; key: string } | null,
  ) {
    super(query, handlers, schedule);
    if (storage) this.restore(storage.storage, storage.key);
    this.base = this.query;
  }

  /** Changes the window: {limit}, {after: cursor}, {before: cursor}, {after: null} = from the top. */
  reanchor(change: Reanchor): void {
    if (this.closed) return;
    this.query = reanchored(this.query, change);
    this.queued.push(change);
    this.moving();
    this.publish([]);
    this.pump();
  }

  /**
   * Sends the queued changes as one reanchor once the subscribe and any reanchor before are
   * answered. One at a time, because the server answers an error at once but a ready after the
   * frames queued before it: with two in flight, an error could be either's.
   */
  private pump(): void {
    if (this.subscribing || this.sent || this.queued.length === 0) return;
    this.sent = this.queued;
    this.queued = [];
    // sent now, or (while disconnected) carried by the resubscribe: resume + the new window
    this.conn.send({ action: "reanchor", sub: this.name, ...this.sent.reduce(merged) });
  }

  /** Ends the subscription (unsubscribe is sent if connected). */
  close(): void {
    if (this.closed) return;
    this.conn.forget(this.name);
    this.conn.send({ action: "unsubscribe", sub: this.name });
    this.end(null);
  }

  /** The connection stopped for good: the subscription ends, with `error` unless by lq.close(). */
  stop(error: ErrorFrame | null): void {
    if (this.closed) return;
    if (error) this.handlers.onError?.(error);
    this.end(error);
  }

  /** The socket dropped: the window may lack what changes until the resume's ready (as over SSE). */
  disconnected(): void {
    // what comes next is this window's resume (a reanchor sent or carried meanwhile says otherwise)
    if (!this.closed) this.resuming();
  }

  /**
   * Shared mode: the leader's re-send of this subscription was refused for good. True if it should
   * be subscribed again: unless a subscribe of its own is unanswered (its answer decides then), the
   * refusal was taken for a reanchor's, and the window was restored; the server holds nothing.
   */
  resubscribeIfIdle(): boolean {
    return !this.closed && !this.subscribing;
  }

  /** The subscribe message for a (re)connect: resume by the last applied eid when there is one. */
  subscribeMessage(): Record<string, unknown> {
    // kept over several resubscribes until one is answered: `base` of an unanswered one is not confirmed
    if (this.sent || this.queued.length > 0) this.fallback ??= this.base;
    this.subscribing = true;
    this.accepted = false;
    // the subscribe carries every change made so far
    this.base = this.query;
    this.sent = null;
    this.queued = [];
    this.inReset = false;
    // `stale` was said of the old server-side subscription: the new one says so again if it is
    this.workStatus = "live";
    const m: Record<string, unknown> = { action: "subscribe", sub: this.name, query: this.query };
    if (this.eid) {
      m.resume = this.eid;
      // a resume is a sync too: until its ready the window may still lack what was missed
      this.resuming();
    }
    return m;
  }

  /** A frame for this subscription from the connection. */
  receive(f: Frame<Row>): void {
    switch (f.op) {
      case "error": return this.failed(f);
      case "closed": return this.closedBy(f);
    }
    this.accepted = true;
    if (f.op === "reset") this.inReset = true;
    this.applyFrame(f);
    if (f.op === "ready") this.answered();
  }

  /**
   * A ready: it answers the subscribe, else the reanchor in flight; then the next one goes. Not the
   * ready of a reset's snapshot (overflow, failover, epoch) while a reanchor is in flight: the
   * server may have written that snapshot before it read the reanchor (the reanchor's splice and
   * ready, or its error, follow) or made it after (a pending reset takes the reanchor in, an
   * overflow replaces its splice: no other ready follows; docs/protocol.md), and the frames do not
   * tell which.
   */
  private answered(): void {
    const ofReset = this.inReset;
    this.inReset = false;
    if (ofReset && this.sent) return this.resubscribe();
    this.fallback = null;
    if (this.subscribing) this.subscribing = false;
    else if (this.sent) this.base = this.sent.reduce(reanchored, this.base);
    this.sent = null;
    if (this.queued.length > 0) {
      this.workSyncing = true; // until the ready of the changes made meanwhile
      this.pump();
    }
  }

  /**
   * Which window the server holds is not known: subscribed again under a new sub id (the frames
   * and error still coming for the old one are then nobody's), resuming from the rows held, with
   * the window asked for; its ready, or its refusal (then back to {@link base}), answers.
   */
  private resubscribe(): void {
    const old = this.name;
    this.conn.send({ action: "unsubscribe", sub: old });
    this.name = this.conn.renamed(old);
    this.conn.send(this.subscribeMessage());
  }

  private failed(f: ErrorFrame): void {
    this.handlers.onError?.(f);
    if (this.subscribing && !this.accepted) {
      // the subscribe itself failed: re-sent after a backoff if the reason passes; else re-sending
      // it on every reconnect would fail the same way
      if (this.conn.resendLater(this.name, f, this.eid !== null)) return;
      if (this.fallback) {
        // as after a refused reanchor: the confirmed window, with the changes made since
        this.base = this.fallback;
        this.fallback = null;
        this.query = this.queued.reduce(reanchored, { ...this.base });
        this.conn.restored(this.name, this.query);
        this.conn.send(this.subscribeMessage());
        return;
      }
      this.conn.forget(this.name);
      this.end(f);
    } else if (this.sent) {
      // a refused token: the reanchor was not run, and the socket goes; the connection reconnects
      // with a fresh token, and the resubscribe carries it (or stops, and the subscription ends)
      if (f.code === "unauthorized") return;
      // the reanchor failed; the server keeps the window it had, and later changes apply to that
      this.sent = null;
      this.conn.restored(this.name, this.base);
      this.query = this.queued.reduce(reanchored, { ...this.base });
      if (this.queued.length > 0) this.pump();
      else this.workSyncing = false;
      this.publish([]);
    }
  }

  /**
   * A frame did not fit the window: subscribed again without resume, under a new sub id (the frames
   * still coming for the old one are then nobody's), for a fresh snapshot; the rows stay shown until it.
   */
  protected override diverged(): void {
    this.eid = null;
    const old = this.name;
    this.conn.send({ action: "unsubscribe", sub: old });
    this.name = this.conn.renamed(old);
    this.workSyncing = true;
    this.conn.send(this.subscribeMessage());
    this.publish([]);
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
    this.replaceWork(saved.rows.map(e => Object.freeze({ ...e })));
    this.eid = saved.eid;
    this.publish([]);
  }
}

/** One change with the effect of `a` then `b` (a field set to `undefined` is not named, as in {@link reanchored}). */
function merged(a: Reanchor, b: Reanchor): Reanchor {
  const m: Record<string, unknown> = { ...a };
  if (b.after !== undefined || b.before !== undefined) { delete m.after; delete m.before; }
  for (const [k, v] of Object.entries(b)) if (v !== undefined) m[k] = v;
  return m as Reanchor;
}
