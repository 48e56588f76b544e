import type { ErrorFrame, Handlers, Query, Reanchor, RowBase, Frame } from "./types.js";
import type { EventHandler, Timers } from "./connection.js";
import { TokenKeeper } from "./token.js";
import { LiveWindow, reanchored, type Scheduler } from "./window.js";

/** The part of the EventSource API the client uses: the browser's or the `eventsource` package's. */
export interface EventSourceLike {
  onmessage: EventHandler<{ data: string; lastEventId?: string }> | null;
  onopen: EventHandler<unknown> | null;
  /** the `eventsource` package's event has `code` and `message`: the HTTP status and why (browsers say nothing) */
  onerror: EventHandler<unknown> | null;
  readonly readyState: number;
  close(): void;
}
/** EventSource.CLOSED: it gave up and will not reconnect. */
const CLOSED = 2;
/** The server's `retry: 1000` (PROTOCOL §5): the first wait before a reconnect of the client's own. */
const RETRY = 1000;
const MAX_RETRY = 10_000;
const UNAUTHORIZED = 401;

export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

export type EventSourceOptions = {
  /** the EventSource class; default globalThis.EventSource (pass the `eventsource` package's in Node) */
  EventSource?: EventSourceConstructor;
  schedule?: Scheduler;
  /**
   * a fixed token, sent as `access_token` (PROTOCOL §9); EventSource reconnects with it, so once it
   * has expired the stream is refused (401) and the subscription ends with error code `refused`
   */
  token?: string;
  /**
   * called for every stream, whose `access_token` it gives; with it the client reconnects by itself
   * (the server ends a stream when its token expires): with a fresh token and `resume` by its last eid
   */
  getToken?: () => string | Promise<string>;
  /** how long a getToken call may take (default 10 s): one that has not settled by then counts as failed, and the stream is tried again after the wait */
  getTokenTimeoutMs?: number;
  /** send cookies (`lq_token`) to a gateway on another origin (one in its `livequery.allowed-origins`) */
  withCredentials?: boolean;
  /** for the waits before the client's own reconnects (with getToken) */
  timers?: Timers;
  /**
   * the jitter of those waits, each its base ×0.5–1.5 and then capped at 10 s, so that streams
   * whose tokens expire together do not all come back in the same second; default Math.random
   */
  random?: () => number;
};

/**
 * A live window over Server-Sent Events (PROTOCOL §5) with the same shape as a WebSocket
 * subscription. EventSource reconnects and resumes by itself (Last-Event-ID); a reanchor opens a
 * new stream with `resume` and the new window, which the server answers with only the splice.
 *
 * With `getToken` the client reconnects instead of EventSource, which would send the old token
 * again: after about 1 s (the server's `retry`, jittered ±50 %), doubling up to 10 s while streams
 * fail to open, with a fresh token and `resume` by the last eid.
 *
 * A stream the server refuses (400 bad query, 401, 403, 429, 503: EventSource gives up) ends the
 * subscription with error code `refused`, unless it was a reanchor's: then the window before it
 * is resumed. A 401 with `getToken` (the token expired on its way; only the `eventsource` package
 * tells the status) is retried with a fresh token. An error frame or a final `closed` frame (any
 * cause but `shutdown`) ends it too.
 *
 * `url` is the SSE endpoint prefix, e.g. `/v1/live` or `https://host/v1/live`; a query string of
 * its own is kept.
 */
export class EventSourceSubscription<Row extends RowBase = RowBase> extends LiveWindow<Row> {
  private es: EventSourceLike | null = null;
  /** the window before a reanchor whose stream has not opened yet */
  private previous: Query<Row> | null = null;
  private readonly timers: Timers;
  private readonly tokens: TokenKeeper;
  /** the client's own reconnect, due after its wait */
  private retry: unknown = null;
  /** streams that failed to open since the last that did: the next wait doubles with each */
  private fails = 0;
  /** the streams asked for: a getToken answer for an earlier one is dropped */
  private attempt = 0;

  constructor(private readonly url: string, query: Query<Row>, handlers: Handlers<Row> | undefined,
      private readonly options: EventSourceOptions) {
    super(query, handlers, options.schedule ?? (fn => { setTimeout(fn, 0); }));
    this.timers = options.timers ?? globalThis;
    this.tokens = new TokenKeeper(options, this.timers, () => this.timers.now?.() ?? Date.now(), () => MAX_RETRY);
    this.open();
  }

  reanchor(change: Reanchor): void {
    if (this.closed) return;
    this.previous ??= this.query;
    this.query = reanchored(this.query, change);
    this.moving();
    this.publish([]);
    this.open();
  }

  close(): void {
    this.stop();
    this.end(null);
  }

  /** No stream, and none to come. */
  private stop(): void {
    this.drop();
    this.tokens.stop();
  }

  /**
   * The stream closed and a pending reconnect cancelled; a getToken answer asked for before is
   * dropped too. Returns the new attempt's number.
   */
  private drop(): number {
    this.es?.close();
    this.es = null;
    if (this.retry !== null) this.timers.clearTimeout(this.retry);
    this.retry = null;
    return ++this.attempt;
  }

  /** A new stream for the current window, resuming by the last eid; with getToken, once it has given a token. */
  private open(): void {
    const attempt = this.drop();
    if (!this.options.getToken) return this.connect(this.options.token);
    this.tokens.fetch().then(
      t => { if (attempt === this.attempt && !this.closed) this.connect(t); },
      () => { if (attempt === this.attempt && !this.closed) this.reconnectLater(); });
  }

  private connect(token: string | undefined): void {
    const ES = this.options.EventSource ?? (globalThis as any).EventSource as EventSourceConstructor;
    const es = new ES(sseUrl(this.url, this.query, this.eid, token), { withCredentials: !!this.options.withCredentials });
    this.es = es;
    es.onmessage = ev => {
      if (es !== this.es) return;
      const f = JSON.parse(ev.data) as Frame<Row>;
      if (ev.lastEventId) f.eid = ev.lastEventId as Frame["eid"];
      if (f.op === "error") return this.failed(f);
      if (f.op === "closed") {
        // after "shutdown" the stream ends too, and the reconnect resumes elsewhere
        const final = f.cause !== "shutdown";
        if (final) { this.stop(); this.end(null); }
        this.handlers.onClosed?.({ ...f, final });
        return;
      }
      this.applyFrame(f);
    };
    // a new stream (EventSource reconnects by itself): `stale` was said of the old one
    es.onopen = () => { if (es === this.es) { this.workStatus = "live"; this.previous = null; this.fails = 0; } };
    es.onerror = ev => {
      if (es !== this.es) return;
      const status = (ev as { code?: number } | undefined)?.code;
      if (es.readyState === CLOSED && !(status === UNAUTHORIZED && this.options.getToken)) return this.refused(ev);
      // a resume, syncing until its ready
      this.resuming();
      // EventSource reconnects by itself with Last-Event-ID, but with the token it has
      if (this.options.getToken) this.reconnectLater();
    };
  }

  /** The stream ended or failed: a new one with a fresh token after the wait. */
  private reconnectLater(): void {
    this.drop();
    const jitter = 0.5 + (this.options.random ?? Math.random)();
    const wait = Math.min(RETRY * 2 ** this.fails++ * jitter, MAX_RETRY);
    this.retry = this.timers.setTimeout(() => { this.retry = null; this.open(); }, wait);
  }

  /** A frame did not fit the window: a new stream without resume, for a fresh snapshot. */
  protected override diverged(): void {
    this.eid = null;
    this.workSyncing = true;
    this.publish([]);
    this.open();
  }

  /** EventSource gave up: the server answered other than 200 with an event stream. */
  private refused(event: unknown): void {
    const ev = event as { code?: number; message?: string } | undefined;
    const f: ErrorFrame = { op: "error", code: "refused",
      message: "the server refused the stream" + (ev?.code ? ` (HTTP ${ev.code}${ev.message ? ": " + ev.message : ""})` : "") };
    if (this.previous) {
      // a reanchor's stream (a bad cursor or limit): resume the window before it
      this.handlers.onError?.(f);
      this.query = this.previous;
      this.previous = null;
      this.open();
      return;
    }
    this.failed(f);
  }

  private failed(f: ErrorFrame): void {
    this.handlers.onError?.(f);
    this.stop();
    this.end(f);
  }
}

/**
 * The SSE URL of a query (PROTOCOL §5): where, order as `-price,name`, limit, after/before, resume,
 * and `token` as `access_token` (§9). The parameters of a base with a query string of its own stay.
 */
export function sseUrl(base: string, q: Query<any>, resume: string | null, token?: string): string {
  const at = base.indexOf("?");
  const path = at < 0 ? base : base.slice(0, at);
  const p = new URLSearchParams(at < 0 ? "" : base.slice(at + 1));
  if (q.where) p.set("where", JSON.stringify(q.where));
  if (q.order) p.set("order", q.order.map(k => (k.dir === "desc" ? "-" : "") + k.field).join(","));
  if (q.limit) p.set("limit", String(q.limit));
  if (q.after) p.set("after", q.after);
  if (q.before) p.set("before", q.before);
  if (resume) p.set("resume", resume);
  if (token) p.set("access_token", token);
  return `${path.replace(/\/$/, "")}/${encodeURIComponent(q.table)}?${p}`;
}

/** A live window over SSE: `liveEventSource("/v1/live", query, handlers)`. */
export function liveEventSource<Row extends RowBase = RowBase>(url: string, query: Query<Row>,
    handlers?: Handlers<Row>, options: EventSourceOptions = {}): EventSourceSubscription<Row> {
  return new EventSourceSubscription(url, query, handlers, options);
}
